/**
 * The chest gate: is this a frontal chest radiograph? First from the DICOM header (a CT, an
 * ultrasound, a lateral film or a hand is not scored), then from the segmenter's lung mask (two lung
 * fields of plausible size, position and shape). A rejection is a verdict, never an exception.
 */
import type { ImageMetadata } from '../../../shared/imaging';
import type { ChestGateSpec } from '../../../shared/model-manifest';
import type { ChestGateVerdict } from '../../../shared/analysis';
import { lungArea, lungBoxCells, type LungMask } from './postprocess';

/** The header fields the gate reads (absent for PNG/JPEG). */
export interface ChestHeader {
  modality?: string;
  bodyPartExamined?: string;
  viewPosition?: string;
  imageType?: string[];
}

/** The header fields of an image that the gate reads (null for PNG/JPEG). */
export function chestHeaderOf(
  metadata: Pick<
    ImageMetadata,
    'sourceKind' | 'modality' | 'bodyPartExamined' | 'viewPosition' | 'imageType'
  >,
): ChestHeader | null {
  if (metadata.sourceKind !== 'dicom') return null;
  const { modality, bodyPartExamined, viewPosition, imageType } = metadata;
  return { modality, bodyPartExamined, viewPosition, imageType };
}

export const ACCEPTED: ChestGateVerdict = {
  accepted: true,
  code: null,
  reason: null,
  decidedBy: null,
};

/** Projection radiography and "other" (scanned films, secondary captures); everything else is not a CXR. */
const RADIOGRAPHIC_MODALITIES = new Set(['CR', 'DX', 'RG', 'DR', 'OT', 'SC']);
const CHEST_BODY_PARTS = /CHEST|THORAX|LUNG|TORSO|BREAST ?BONE|RIB|HEART/i;
/** Lateral and oblique projections (PS3.16 CID 4010 codes and the words devices write). */
const NON_FRONTAL_VIEWS = /^(LL|RL|LAT|LATERAL|LLO|RLO|LAO|RAO|LPO|RPO|OBL|OBLIQUE|.*LATERAL.*)$/i;

function reject(decidedBy: 'header' | 'segmenter', reason: string): ChestGateVerdict {
  return { accepted: false, code: 'NOT_A_FRONTAL_CHEST_XRAY', reason, decidedBy };
}

export function headerVerdict(header: ChestHeader | null): ChestGateVerdict {
  if (!header) return ACCEPTED;
  const modality = header.modality?.trim().toUpperCase();
  if (modality && !RADIOGRAPHIC_MODALITIES.has(modality)) {
    return reject('header', `Modality is ${modality}, not a projection radiograph`);
  }
  const bodyPart = header.bodyPartExamined?.trim();
  if (bodyPart && !CHEST_BODY_PARTS.test(bodyPart)) {
    return reject('header', `Body part examined is ${bodyPart}, not the chest`);
  }
  const view = header.viewPosition?.trim();
  if (view && NON_FRONTAL_VIEWS.test(view)) {
    return reject('header', `View position is ${view}, not a frontal (PA/AP) view`);
  }
  if (header.imageType?.some((t) => t.toUpperCase() === 'LOCALIZER')) {
    return reject('header', 'The image is a localizer (scout), not a chest radiograph');
  }
  return ACCEPTED;
}

/** Shape measures of a lung mask that the gate's limits apply to (also reported by `segment --json`). */
export interface LungMaskMeasures {
  components: number;
  lungFraction: number;
  areaRatio: number;
  centroidRows: number[];
  boxAspect: number;
  meanProbability: number;
  /** True when the image-left component's centroid lies left of the other's. */
  sideBySide: boolean;
}

export function measureLungMask(mask: LungMask): LungMaskMeasures {
  const cells = mask.width * mask.height;
  const areas = mask.components.map((c) => c.area);
  const box = lungBoxCells(mask);
  const [a, b] = mask.components;
  return {
    components: mask.components.length,
    lungFraction: lungArea(mask) / cells,
    areaRatio: areas.length >= 2 ? Math.min(...areas) / Math.max(...areas) : 0,
    centroidRows: mask.components.map((c) => c.centroidY / mask.height),
    boxAspect: box ? (box.y1 - box.y0) / (box.x1 - box.x0) : 0,
    meanProbability: mask.meanProbability,
    sideBySide:
      a !== undefined &&
      b !== undefined &&
      a.centroidX < b.centroidX &&
      a.x1 <= b.centroidX &&
      b.x0 >= a.centroidX,
  };
}

export function maskVerdict(mask: LungMask, gate: ChestGateSpec): ChestGateVerdict {
  const m = measureLungMask(mask);
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  if (m.components < 2) {
    return reject('segmenter', `Two lung fields were not found (found ${m.components})`);
  }
  if (!m.sideBySide)
    return reject('segmenter', 'The two regions found are not side by side like lungs');
  if (m.lungFraction < gate.minLungFraction) {
    return reject(
      'segmenter',
      `Lung fields cover ${pct(m.lungFraction)} of the image, below ${pct(gate.minLungFraction)}`,
    );
  }
  if (m.lungFraction > gate.maxLungFraction) {
    return reject(
      'segmenter',
      `Lung fields cover ${pct(m.lungFraction)} of the image, above ${pct(gate.maxLungFraction)}`,
    );
  }
  if (m.areaRatio < gate.minLungAreaRatio) {
    return reject(
      'segmenter',
      `One lung field is ${pct(m.areaRatio)} of the other's size, below ${pct(gate.minLungAreaRatio)}`,
    );
  }
  const [lo, hi] = gate.centroidRowRange;
  if (m.centroidRows.some((r) => r < lo || r > hi)) {
    return reject(
      'segmenter',
      'The lung fields are not where a chest film has them (too high or too low)',
    );
  }
  const [aLo, aHi] = gate.boxAspectRange;
  if (m.boxAspect < aLo || m.boxAspect > aHi) {
    return reject(
      'segmenter',
      `The lung fields' outline has an implausible shape (height/width ${m.boxAspect.toFixed(2)})`,
    );
  }
  if (m.meanProbability < gate.minMeanProbability) {
    return reject('segmenter', 'The segmenter is not confident it sees lung fields');
  }
  return ACCEPTED;
}
