/**
 * Probes of what the model needs (evaluate --probe): `lungs_out` (the lung fields filled with the
 * median gray outside them, then the same crop and classifier), `outline_only` (the lungs' inside
 * painted one flat gray, everything else as in lungs_out: what the mask's outline alone tells the
 * model), `heatmap_in_lungs` (share of the
 * positive CAM evidence inside the lung mask), the within-source AUCs (sources are tied to labels,
 * so only within one source does an AUC say something about the lungs), and the segmenter's Dice
 * against reference masks when they are given.
 */
import type { HeatmapGrid } from '../../../shared/analysis';
import { sampleHeatmap } from '../../platform/inference/heatmap-image';
import type { GrayImage } from '../../platform/inference/preprocess';
import type { LungMask } from '../../platform/inference/lungs/postprocess';
import { argmax, rocAuc } from '../../base/metrics';

export const NIH_SOURCE = 'nih-chestxray14';
export const COHEN_SOURCE = 'cohen-covid-chestxray-dataset';
/** RSNA pneumonia-challenge films lung-masked by a third party (../shared/data/cxr-extra). */
export const RSNA_MASKED_SOURCE = 'rsna-lungmasked';

/** True where image pixel (x, y) lies in a lung cell of the segmenter grid. */
function inLung(mask: LungMask, width: number, height: number, x: number, y: number): boolean {
  const cx = Math.floor(((x + 0.5) * mask.width) / width);
  const cy = Math.floor(((y + 0.5) * mask.height) / height);
  return mask.data[cy * mask.width + cx] === 1;
}

/** The image with its lung fields painted one flat gray (the outline-only probe). */
export function paintLungs(gray: GrayImage, mask: LungMask, value: number): GrayImage {
  const { width, height } = gray;
  const data = gray.data.slice();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (inLung(mask, width, height, x, y)) data[y * width + x] = value;
    }
  }
  return { data, width, height };
}

/** The image with its lung fields filled with the median gray of the pixels outside them. */
export function fillLungs(gray: GrayImage, mask: LungMask): GrayImage {
  const { width, height } = gray;
  const inside = new Uint8Array(width * height);
  const histogram = new Float64Array(256);
  let outsideCount = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (inLung(mask, width, height, x, y)) inside[p] = 1;
      else {
        histogram[Math.min(255, Math.max(0, Math.round(gray.data[p])))]++;
        outsideCount++;
      }
    }
  }
  let median = 127.5;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += histogram[v];
    if (outsideCount > 0 && seen >= outsideCount / 2) {
      median = v;
      break;
    }
  }
  const data = gray.data.slice();
  for (let p = 0; p < data.length; p++) if (inside[p]) data[p] = median;
  return { data, width, height };
}

/** Share of the heatmap's (positive) evidence that falls inside the lung mask, on the mask grid. */
export function heatmapShareInLungs(heatmap: HeatmapGrid, mask: LungMask): number | null {
  let total = 0;
  let inside = 0;
  for (let cy = 0; cy < mask.height; cy++) {
    for (let cx = 0; cx < mask.width; cx++) {
      // Centre of the mask cell in source pixels (sampleHeatmap adds the half pixel itself).
      const x = ((cx + 0.5) * heatmap.imageWidth) / mask.width - 0.5;
      const y = ((cy + 0.5) * heatmap.imageHeight) / mask.height - 0.5;
      const v = sampleHeatmap(heatmap, x, y) ?? 0;
      total += v;
      if (mask.data[cy * mask.width + cx]) inside += v;
    }
  }
  return total > 0 ? inside / total : null;
}

export function diceIou(predicted: Uint8Array, truth: Uint8Array): { dice: number; iou: number } {
  let intersection = 0;
  let p = 0;
  let t = 0;
  for (let i = 0; i < truth.length; i++) {
    const a = predicted[i] ? 1 : 0;
    const b = truth[i] ? 1 : 0;
    intersection += a & b;
    p += a;
    t += b;
  }
  const union = p + t - intersection;
  return {
    dice: p + t > 0 ? (2 * intersection) / (p + t) : 1,
    iou: union > 0 ? intersection / union : 1,
  };
}

export interface ScoredImage {
  truth: string;
  source: string;
  probabilities: number[];
}

export interface WithinSourceFigures {
  nih_normal_vs_pneumonia_auc: number | null;
  nih_n: number;
  cohen_covid_vs_other_auc: number | null;
  cohen_n: number;
  /** P(pneumonia) separating lung-masked RSNA normal from RSNA pneumonia (lung opacity) films. */
  rsna_normal_vs_pneumonia_auc: number | null;
  rsna_n: number;
}

/** P(pneumonia) separating NIH normal from NIH pneumonia; P(COVID-19) separating Cohen COVID-19 from the rest. */
export function withinSourceFigures(
  images: readonly ScoredImage[],
  labels: readonly string[],
): WithinSourceFigures {
  const pneumonia = labels.indexOf('pneumonia');
  const covid = labels.indexOf('COVID-19');
  const nih = images.filter(
    (i) => i.source === NIH_SOURCE && (i.truth === 'normal' || i.truth === 'pneumonia'),
  );
  const cohen = images.filter((i) => i.source === COHEN_SOURCE);
  const rsna = images.filter(
    (i) => i.source === RSNA_MASKED_SOURCE && (i.truth === 'normal' || i.truth === 'pneumonia'),
  );
  return {
    nih_normal_vs_pneumonia_auc:
      pneumonia >= 0
        ? rocAuc(
            nih.map((i) => i.probabilities[pneumonia]),
            nih.map((i) => i.truth === 'pneumonia'),
          )
        : null,
    nih_n: nih.length,
    cohen_covid_vs_other_auc:
      covid >= 0
        ? rocAuc(
            cohen.map((i) => i.probabilities[covid]),
            cohen.map((i) => i.truth === 'COVID-19'),
          )
        : null,
    cohen_n: cohen.length,
    rsna_normal_vs_pneumonia_auc:
      pneumonia >= 0
        ? rocAuc(
            rsna.map((i) => i.probabilities[pneumonia]),
            rsna.map((i) => i.truth === 'pneumonia'),
          )
        : null,
    rsna_n: rsna.length,
  };
}

export interface LungsOutFigures {
  n: number;
  mean_delta_p_covid: number | null;
  covid_auc: number | null;
  accuracy: number | null;
  nih_normal_vs_pneumonia_auc: number | null;
  rsna_normal_vs_pneumonia_auc: number | null;
}

/** Figures of the lungs-filled run, paired with the untouched run of the same images. */
export function lungsOutFigures(
  pairs: readonly { original: ScoredImage; filled: number[] }[],
  labels: readonly string[],
): LungsOutFigures {
  const covid = labels.indexOf('COVID-19');
  const filled = pairs.map((p) => ({ ...p.original, probabilities: p.filled }));
  const n = pairs.length;
  const within = withinSourceFigures(filled, labels);
  return {
    n,
    mean_delta_p_covid:
      n > 0 && covid >= 0
        ? pairs.reduce((s, p) => s + p.filled[covid] - p.original.probabilities[covid], 0) / n
        : null,
    covid_auc:
      covid >= 0
        ? rocAuc(
            filled.map((i) => i.probabilities[covid]),
            filled.map((i) => i.truth === 'COVID-19'),
          )
        : null,
    accuracy:
      n > 0 ? filled.filter((i) => labels[argmax(i.probabilities)] === i.truth).length / n : null,
    nih_normal_vs_pneumonia_auc: within.nih_normal_vs_pneumonia_auc,
    rsna_normal_vs_pneumonia_auc: within.rsna_normal_vs_pneumonia_auc,
  };
}
