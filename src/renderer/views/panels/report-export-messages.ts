/** What the UI says after a report export (pure, so the wording is tested without a DOM). */
import type {
  ReportExportKind,
  ReportExportResult,
  ScreeningReportsExportResult,
} from '../../../shared/report-export';
import { sentenceFor } from '../../base/error-messages';

/** What the "Export report…" button asks for: every kind (a PNG/JPEG then gets the PDF only). */
export const ALL_REPORT_KINDS: ReportExportKind[] = ['sr', 'sc', 'pdf', 'encapsulated-pdf'];

const KIND_NAMES: Record<ReportExportKind, string> = {
  sr: 'the DICOM Structured Report',
  sc: 'the heatmap Secondary Capture',
  pdf: 'the PDF',
  'encapsulated-pdf': 'the Encapsulated PDF',
};

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** One or two sentences; null when the dialog was cancelled (nothing to say). */
export function describeReportExport(result: ReportExportResult): string | null {
  if (result.folder === null) return null;
  const saved = `Saved ${plural(result.files.length, 'file', 'files')} to ${result.folder}: ${result.files.join(', ')}.`;
  if (!result.omitted) return saved;
  const skipped = list(result.omitted.kinds.map((kind) => KIND_NAMES[kind]));
  return `${saved} Not written: ${skipped}. ${sentenceFor(result.omitted.reason.code)}`;
}

export function describeScreeningReportsExport(
  result: ScreeningReportsExportResult,
): string | null {
  if (result.folder === null) return null;
  const parts = [
    `Reports of ${plural(result.reported, 'file', 'files')} saved to ${result.folder}.`,
  ];
  if (result.pdfOnly > 0) {
    parts.push(
      `${plural(result.pdfOnly, 'PNG/JPEG file', 'PNG/JPEG files')} got the PDF only: they carry no patient or study for DICOM reports.`,
    );
  }
  if (result.notScored > 0) {
    parts.push(
      `${plural(result.notScored, 'file', 'files')} had no result to report (unreadable).`,
    );
  }
  if (result.failed.length > 0) {
    const first = result.failed[0];
    parts.push(
      `${plural(result.failed.length, 'report failed', 'reports failed')}, e.g. ${first.path}: ${sentenceFor(first.error.code)}`,
    );
  }
  return parts.join(' ');
}
