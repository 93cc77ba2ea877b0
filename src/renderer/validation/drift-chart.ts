/**
 * The drift view's small chart (pure; unit-tested): one histogram per signal, reference films as
 * outlined bars and recent films as filled bars on the same bins, so a shift is seen at a glance.
 */
import type { DriftHistogram } from '../../shared/drift';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const WIDTH = 320;
const HEIGHT = 150;
const PAD = { left: 30, right: 8, top: 22, bottom: 28 };

export function driftHistogramSvg(histogram: DriftHistogram): string {
  const bins = histogram.reference.length;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const top = Math.max(0.05, ...histogram.reference, ...histogram.recent);
  const barW = plotW / bins;
  const y = (share: number) => PAD.top + plotH - (share / top) * plotH;
  const bars = histogram.reference
    .map((ref, i) => {
      const x = PAD.left + i * barW;
      const recent = histogram.recent[i];
      return (
        `<rect x="${(x + 1).toFixed(1)}" y="${y(recent).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(PAD.top + plotH - y(recent)).toFixed(1)}" fill="#d9822b" fill-opacity="0.75"/>` +
        `<rect x="${(x + 1).toFixed(1)}" y="${y(ref).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(PAD.top + plotH - y(ref)).toFixed(1)}" fill="none" stroke="#2b6cb0" stroke-width="1.5"/>`
      );
    })
    .join('');
  const first = histogram.edges[0];
  const last = histogram.edges[histogram.edges.length - 1];
  const axisY = PAD.top + plotH;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="10">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PAD.left}" y="13" font-size="11" font-weight="bold">${escapeXml(histogram.title)}</text>`,
    bars,
    `<line x1="${PAD.left}" y1="${axisY}" x2="${WIDTH - PAD.right}" y2="${axisY}" stroke="#444"/>`,
    `<text x="${PAD.left}" y="${axisY + 12}">${first}</text>`,
    `<text x="${WIDTH - PAD.right}" y="${axisY + 12}" text-anchor="end">${last}</text>`,
    `<text x="4" y="${PAD.top + 8}">${Math.round(top * 100)}%</text>`,
    `<rect x="${PAD.left}" y="${HEIGHT - 10}" width="10" height="8" fill="none" stroke="#2b6cb0" stroke-width="1.5"/>`,
    `<text x="${PAD.left + 14}" y="${HEIGHT - 3}">reference films</text>`,
    `<rect x="${PAD.left + 110}" y="${HEIGHT - 10}" width="10" height="8" fill="#d9822b" fill-opacity="0.75"/>`,
    `<text x="${PAD.left + 124}" y="${HEIGHT - 3}">recent films</text>`,
    '</svg>',
  ].join('');
}
