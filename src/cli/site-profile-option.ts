/**
 * `--site-profile <name> [--site-dir <dir>]` for the commands that ask the engine for a verdict
 * (`predict`, `report`, `screen`): the named site profile (saved by `validate --save-profile` or
 * in the app) is passed to the engine as its operating point and said on stderr; without the
 * option the model's own thresholds apply (the command line never picks a profile by itself).
 */
import type { OperatingPoint } from '../shared/verdict';
import type { InferenceEngine } from '../main/platform/inference';
import { siteProfileSentence } from '../shared/result-statement';
import { defaultSiteValidationDir, namedOperatingPoint } from '../main/features/site-validation';

export const SITE_PROFILE_OPTIONS = {
  'site-profile': { type: 'string' },
  'site-dir': { type: 'string' },
} as const;

export async function siteProfileOption(
  values: { 'site-profile'?: string; 'site-dir'?: string },
  engine: InferenceEngine,
): Promise<OperatingPoint | null> {
  const name = values['site-profile'];
  if (name === undefined) return null;
  const point = await namedOperatingPoint(values['site-dir'] ?? defaultSiteValidationDir(), name, {
    id: engine.manifest.id,
    sha256: engine.manifest.sha256,
  });
  console.error(siteProfileSentence(point));
  return point;
}
