/** Plain-words formatting of site validation figures (pure; unit-tested). */
import type { Estimate } from '../../../shared/site-profile';

export function percent(value: number | null): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`;
}

export function decimal(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

/** Value, 95% interval and n of an estimate, as table cells. */
export function estimateCells(
  estimate: Estimate,
  format: (value: number | null) => string = percent,
): { value: string; interval: string; n: string; warning: string } {
  return {
    value: format(estimate.value),
    interval:
      estimate.low !== null && estimate.high !== null
        ? `${format(estimate.low)} – ${format(estimate.high)}${estimate.interval === 'bootstrap' ? ' (bootstrap)' : ''}`
        : '—',
    n: String(estimate.n),
    warning: estimate.warning ?? '',
  };
}

/** Parses a target sensitivity typed as a percentage ("90", "90%", "92.5"); null when invalid. */
export function parseTargetSensitivity(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!match) return null;
  const value = Number(match[1]) / 100;
  return value > 0 && value <= 1 ? value : null;
}

/** An SVG the app wrote, as an image source (an <img> never runs script in it). */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
