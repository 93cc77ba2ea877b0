/** The medical-honesty notice every surface shows (UI, CLI, reports). */
export const RESEARCH_NOTICE =
  'For research and triage support only. Not a diagnosis; every result must be reviewed by a qualified reader.';
