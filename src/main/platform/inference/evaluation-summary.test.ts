import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluationSummaryLines } from './evaluation-summary';
import { REPO_ROOT } from './testing/test-support';

describe('evaluation summary for the model panel', () => {
  it('says in words whether the model beats the no-anatomy baseline and how far framing moves it', () => {
    const metrics = JSON.parse(
      readFileSync(join(REPO_ROOT, 'training/reports/phase2-before-framing/metrics.json'), 'utf8'),
    ) as Record<string, unknown>;
    const lines = evaluationSummaryLines(metrics) ?? [];
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /Validation \(280 images.*accuracy 69%.*COVID-19 sensitivity 73%, PPV 81%/,
    );
    expect(lines[1]).toMatch(/never looks at the lungs.*80%.*does not beat it/);
    expect(lines[2]).toMatch(/up to \+13 points/);
  });

  it('gives nothing for a file that is not an evaluation', () => {
    expect(evaluationSummaryLines({ hello: 1 })).toBeUndefined();
  });
});
