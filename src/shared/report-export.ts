/**
 * Exporting reports from the UI: the kinds the renderer may ask for and what main answers. The
 * renderer never names a path; main asks the user for a folder and reports file names in it.
 */
import type { CodedErrorInfo } from './errors';

export const REPORT_EXPORT_KINDS = ['sr', 'sc', 'pdf', 'encapsulated-pdf'] as const;
export type ReportExportKind = (typeof REPORT_EXPORT_KINDS)[number];

export interface ReportExportResult {
  /** The folder the user picked; null when the dialog was cancelled (nothing written). */
  folder: string | null;
  /** Names of the files written into that folder. */
  files: string[];
  /** Kinds asked for but not written, and why (a PNG/JPEG has no patient/study for DICOM). */
  omitted: { kinds: ReportExportKind[]; reason: CodedErrorInfo } | null;
}

export interface ScreeningReportsExportResult {
  /** The folder the user picked; null when the dialog was cancelled (nothing written). */
  folder: string | null;
  /** Files that got reports (SR, heatmap SC, PDF and Encapsulated PDF, or the PDF only). */
  reported: number;
  /** Of those, PNG/JPEG files that got the PDF only (no patient/study for DICOM reports). */
  pdfOnly: number;
  /** Rows with no model result (unreadable files), so no report. */
  notScored: number;
  /** Files whose reports failed; the others were still written. */
  failed: { path: string; frame: number; error: CodedErrorInfo }[];
}
