import { describe, expect, it } from 'vitest';
import { describeReportExport, describeScreeningReportsExport } from './report-export-messages';

describe('report export messages', () => {
  it('names the files and the folder, and says nothing when cancelled', () => {
    expect(describeReportExport({ folder: null, files: [], omitted: null })).toBeNull();
    expect(
      describeReportExport({
        folder: '/home/r/reports',
        files: ['a_1.sr.dcm', 'a_1.pdf'],
        omitted: null,
      }),
    ).toBe('Saved 2 files to /home/r/reports: a_1.sr.dcm, a_1.pdf.');
  });

  it('says which reports a JPEG did not get, and why', () => {
    const text = describeReportExport({
      folder: '/r',
      files: ['c_1.pdf'],
      omitted: {
        kinds: ['sr', 'sc', 'encapsulated-pdf'],
        reason: { code: 'REPORT_PATIENT_STUDY_REQUIRED', message: 'c.jpg: no patient' },
      },
    });
    expect(text).toContain('Saved 1 file to /r: c_1.pdf.');
    expect(text).toContain(
      'Not written: the DICOM Structured Report, the heatmap Secondary Capture and the Encapsulated PDF.',
    );
    expect(text).toMatch(/needs a patient and a study/);
  });

  it('sums up a batch: PDF-only files, unscored rows and failures', () => {
    expect(
      describeScreeningReportsExport({
        folder: null,
        reported: 0,
        pdfOnly: 0,
        notScored: 0,
        failed: [],
      }),
    ).toBeNull();
    const text = describeScreeningReportsExport({
      folder: '/r',
      reported: 3,
      pdfOnly: 1,
      notScored: 2,
      failed: [{ path: '/films/x.dcm', frame: 0, error: { code: 'TRUNCATED', message: 'short' } }],
    });
    expect(text).toContain('Reports of 3 files saved to /r.');
    expect(text).toContain('1 PNG/JPEG file got the PDF only');
    expect(text).toContain('2 files had no result to report');
    expect(text).toContain('1 report failed, e.g. /films/x.dcm: The file is incomplete');
  });
});
