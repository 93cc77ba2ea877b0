import { describe, expect, it } from 'vitest';
import type { LibrarySnapshot } from '../../../shared/library';
import {
  addProgressText,
  imageSubtitle,
  neighbourImage,
  openableImages,
  patientTitle,
  studyTitle,
} from './library-view-model';

const snapshot: LibrarySnapshot = {
  patients: [
    {
      patientKey: 'p',
      patientName: 'Doe^John',
      patientId: '42',
      studies: [
        {
          studyKey: 's',
          studyDate: '20200102',
          series: [
            {
              seriesKey: 'x',
              images: [
                {
                  imageId: 'a',
                  displayName: 'a.dcm',
                  sourceKind: 'dicom',
                  numberOfFrames: 1,
                  modality: 'CR',
                },
                {
                  imageId: 'b',
                  displayName: 'b.dcm',
                  sourceKind: 'dicom',
                  numberOfFrames: 1,
                  error: { code: 'TRUNCATED', message: 'x' },
                },
                { imageId: 'c', displayName: 'c.png', sourceKind: 'png', numberOfFrames: 3 },
              ],
            },
          ],
        },
      ],
    },
  ],
  problems: [],
};

describe('library view model', () => {
  it('skips images that failed when navigating', () => {
    expect(openableImages(snapshot).map((i) => i.imageId)).toEqual(['a', 'c']);
    expect(neighbourImage(snapshot, 'a', 1)?.imageId).toBe('c');
    expect(neighbourImage(snapshot, 'c', 1)).toBeNull();
    expect(neighbourImage(snapshot, null, 1)?.imageId).toBe('a');
  });
  it('titles patients, studies and images in plain words', () => {
    expect(patientTitle(snapshot.patients[0])).toBe('Doe, John (42)');
    expect(studyTitle(snapshot.patients[0].studies[0])).toBe('2020-01-02');
    expect(imageSubtitle(openableImages(snapshot)[1])).toBe('PNG · 3 frames');
  });
  it('words the add progress', () => {
    const progress = { filesFound: 12_000, filesRead: 3_456, imagesListed: 3_400, problems: 1 };
    expect(addProgressText({ state: 'reading', ...progress })).toBe(
      'Reading headers: 3,456 of 12,000 files found so far (3,400 images listed, 1 problem)…',
    );
    expect(addProgressText({ state: 'cancelled', ...progress, problems: 0 })).toBe(
      'Stopped: 3,400 images listed.',
    );
    expect(addProgressText({ state: 'finished', ...progress, imagesListed: 1, problems: 2 })).toBe(
      'Done: 1 image listed, 2 problems.',
    );
  });
});
