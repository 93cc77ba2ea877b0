import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../shared/errors';
import { describeError, sentenceFor } from './error-messages';

describe('error sentences', () => {
  it('has a plain sentence for every error code', () => {
    for (const code of ERROR_CODES) {
      const sentence = sentenceFor(code);
      expect(sentence.length).toBeGreaterThan(10);
      expect(sentence).not.toMatch(/[A-Z]{3,}_[A-Z]/);
    }
  });
  it('keeps the technical detail apart from the sentence', () => {
    const described = describeError({ code: 'TRUNCATED', message: 'ended at byte 12' });
    expect(described.sentence).toMatch(/incomplete/);
    expect(described.detail).toBe('TRUNCATED: ended at byte 12');
  });
});

describe('modality caution', () => {
  it('warns for non-radiograph DICOM only', async () => {
    const { modalityCaution } = await import('../views/panels/prediction-format');
    expect(modalityCaution('dicom', 'MR')).toMatch(/not a chest radiograph/);
    expect(modalityCaution('dicom', 'CR')).toBeNull();
    expect(modalityCaution('jpeg', undefined)).toBeNull();
  });
});
