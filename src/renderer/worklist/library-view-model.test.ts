import { describe, expect, it } from 'vitest';
import type { LibrarySnapshot } from '../../shared/library';
import {
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
});
