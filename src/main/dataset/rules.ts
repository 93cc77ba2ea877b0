/**
 * The COVIDx rules as code: finding -> label per source, frontal X-rays only, and the exclusion
 * reasons. RULES.md next to this file says the same in words (and the datasheet repeats it).
 */
import type { DatasetLabel } from './types';

/** Exclusion reasons (a detail may follow after `: `, e.g. the unmapped finding). */
export const EXCLUDED = {
  unmappedFinding: 'finding not mapped to a label',
  noFinding: 'no finding recorded',
  notFrontal: 'lateral view',
  unknownView: 'view not recognised as frontal',
  crossSectional: 'not an X-ray (CT or cross-sectional)',
  viewNotRecorded: 'view not recorded',
  imageMissing: 'image file not found',
  unreadable: 'image could not be decoded',
  maskImage: 'lung mask image, not a film',
  labelsDisagree: "the source's label files disagree",
  duplicate: 'duplicate of a kept film (same picture)',
  conflictingDuplicate: 'same picture with conflicting labels',
  keepSplitConflict: 'same picture or patient kept in two parts by --keep-split',
} as const;

/** `reason: detail`; reasons themselves never contain `: `, so the reason is the part before it. */
export const withDetail = (reason: string, detail: string): string =>
  detail ? `${reason}: ${detail}` : reason;

export const reasonOnly = (exclusion: string): string => exclusion.split(': ')[0];

/** Cohen's flat (2020 early) finding names that are pneumonias other than COVID-19. */
const COHEN_FLAT_PNEUMONIAS = new Set(
  [
    'sars',
    'mers',
    'mers-cov',
    'streptococcus',
    'klebsiella',
    'e.coli',
    'legionella',
    'mycoplasma',
    'chlamydophila',
    'pneumocystis',
    'varicella',
    'influenza',
    'herpes',
    'lipoid',
    'bacterial',
    'aspergillosis',
    'nocardia',
    'staphylococcus',
    'h1n1',
    'pneumonia',
  ].map((name) => name.toLowerCase()),
);

export interface LabelDecision {
  label: DatasetLabel | null;
  /** Set when label is null. */
  exclusion: string | null;
}

const labelled = (label: DatasetLabel): LabelDecision => ({ label, exclusion: null });
const excluded = (exclusion: string): LabelDecision => ({ label: null, exclusion });

/**
 * Cohen `finding`: hierarchical since mid 2020 (`Pneumonia/Viral/COVID-19`,
 * `Pneumonia/Bacterial/Streptococcus`, `No Finding`), flat before (`COVID-19`, `COVID-19, ARDS`,
 * `SARS`). COVID-19 anywhere -> COVID-19; any other `Pneumonia/...` or flat pneumonia -> pneumonia;
 * `No Finding` -> normal; the rest (ARDS alone, Tuberculosis, todo, Unknown, blank) excluded.
 */
export function cohenLabel(finding: string): LabelDecision {
  const text = finding.trim();
  if (!text) return excluded(EXCLUDED.noFinding);
  const parts = text.split(/[/,]/).map((p) => p.trim().toLowerCase());
  if (parts.includes('covid-19')) return labelled('COVID-19');
  if (parts[0] === 'no finding' || parts[0] === 'normal') return labelled('normal');
  if (parts[0] === 'pneumonia' || COHEN_FLAT_PNEUMONIAS.has(parts[0])) return labelled('pneumonia');
  return excluded(withDetail(EXCLUDED.unmappedFinding, text));
}

/** Figure1 / Actualmed `finding`: the first comma part, `COVID-19`, `Pneumonia` or `No finding`. */
export function figure1Label(finding: string): LabelDecision {
  const text = finding.trim();
  if (!text) return excluded(EXCLUDED.noFinding);
  const first = text.split(',')[0].trim().toLowerCase();
  if (first === 'covid-19') return labelled('COVID-19');
  if (first === 'pneumonia') return labelled('pneumonia');
  if (first === 'no finding' || first === 'normal') return labelled('normal');
  return excluded(withDetail(EXCLUDED.unmappedFinding, text));
}

/** NIH `Finding Labels` (`|`-separated): `No Finding` -> normal, any list with Pneumonia -> pneumonia. */
export function nihLabel(findingLabels: string): LabelDecision {
  const labels = findingLabels
    .split('|')
    .map((l) => l.trim())
    .filter(Boolean);
  if (labels.length === 0) return excluded(EXCLUDED.noFinding);
  if (labels.includes('Pneumonia')) return labelled('pneumonia');
  if (labels.length === 1 && labels[0] === 'No Finding') return labelled('normal');
  return excluded(withDetail(EXCLUDED.unmappedFinding, 'NIH findings without pneumonia'));
}

/** RSNA `class`: Lung Opacity -> pneumonia, Normal -> normal, No Lung Opacity / Not Normal excluded. */
export function rsnaLabel(className: string): LabelDecision {
  const text = className.trim();
  if (text === 'Lung Opacity') return labelled('pneumonia');
  if (text === 'Normal') return labelled('normal');
  if (!text) return excluded(EXCLUDED.noFinding);
  return excluded(withDetail(EXCLUDED.unmappedFinding, text));
}

/** COVID-19 Radiography Database class folder -> label (null: not a class folder). */
export function c19rdbFolderLabel(folder: string): LabelDecision | null {
  const name = folder
    .trim()
    .toLowerCase()
    .replace(/[_\s]+/g, ' ');
  if (name === 'covid' || name === 'covid-19') return labelled('COVID-19');
  if (name === 'normal') return labelled('normal');
  if (name === 'viral pneumonia') return labelled('pneumonia');
  if (name === 'lung opacity')
    return excluded(withDetail(EXCLUDED.unmappedFinding, 'Lung_Opacity'));
  return null;
}

/** A label already in the model's words (site CSVs, reader readings, prebuilt manifests). */
export function plainLabel(label: string): LabelDecision {
  const text = label.trim();
  const lower = text.toLowerCase();
  if (lower === 'normal' || lower === 'no finding') return labelled('normal');
  if (lower === 'pneumonia') return labelled('pneumonia');
  if (lower === 'covid-19' || lower === 'covid') return labelled('COVID-19');
  if (!text) return excluded(EXCLUDED.noFinding);
  return excluded(withDetail(EXCLUDED.unmappedFinding, text));
}

export type ViewDecision =
  | { kind: 'frontal'; view: string }
  | { kind: 'excluded'; exclusion: string }
  | { kind: 'unrecorded' };

/**
 * A view as written by a source or a DICOM ViewPosition: PA and AP variants are frontal (kept as
 * `PA`, `AP`, `AP supine`, `AP erect`, `AP semi erect`); L/LL/RL/lateral are excluded; axial,
 * coronal and sagittal are CT reconstructions.
 */
export function normaliseView(raw: string): ViewDecision {
  const text = raw.trim().replace(/\s+/g, ' ');
  if (!text) return { kind: 'unrecorded' };
  const lower = text.toLowerCase();
  if (/^(pa|ap)\b/.test(lower)) {
    const [head, ...rest] = lower.split(' ');
    return { kind: 'frontal', view: [head.toUpperCase(), ...rest].join(' ') };
  }
  // Prebuilt manifests may say `frontal` (checked by hand, PA/AP not recorded).
  if (lower.startsWith('frontal')) return { kind: 'frontal', view: text };
  if (/^(l|ll|rl|lat|lateral|left lateral|right lateral)$/.test(lower)) {
    return { kind: 'excluded', exclusion: withDetail(EXCLUDED.notFrontal, text) };
  }
  if (/^(axial|coronal|sagittal)$/.test(lower)) {
    return { kind: 'excluded', exclusion: withDetail(EXCLUDED.crossSectional, text) };
  }
  return { kind: 'excluded', exclusion: withDetail(EXCLUDED.unknownView, text) };
}

/** Modalities that are chest radiographs (metadata `X-ray`, DICOM CR/DX/RG/DR or none given). */
export function isXrayModality(modality: string): boolean {
  const m = modality.trim().toLowerCase();
  return (
    m === '' ||
    m === 'x-ray' ||
    m === 'xray' ||
    m === 'cr' ||
    m === 'dx' ||
    m === 'rg' ||
    m === 'dr' ||
    m === 'ot'
  );
}

/** Licence per source (Cohen's is per image; its metadata column wins where filled). */
export const LICENCES = {
  cohen: 'per image (metadata `license`); unspecified where blank (see the image url)',
  figure1: 'research use only (no explicit licence; Figure 1 / agchung)',
  actualmed: 'research use only (no explicit licence; Actualmed / UJI)',
  nih: 'NIH ChestX-ray14: no restrictions on use; cite NIH Clinical Center and Wang et al. 2017',
  rsna: 'RSNA Pneumonia Detection Challenge terms (research and education; attribute RSNA and NIH CC)',
  c19rdb: 'COVID-19 Radiography Database (Kaggle terms; cite Chowdhury 2020 and Rahman 2021)',
  site: "the clinic's own films (not for redistribution)",
  manifest: 'not recorded in the prebuilt manifest (see its README)',
} as const;
