/** The drift chart draws reference and recent films on the same bins, scaled to the taller bar. */
import { describe, expect, it } from 'vitest';
import { driftHistogramSvg } from './drift-chart';

describe('drift chart', () => {
  it('draws one outlined (reference) and one filled (recent) bar per bin, with a legend', () => {
    const svg = driftHistogramSvg({
      name: 'feature-distance',
      title: 'Feature distance <to> the training films',
      edges: [0, 1, 2, 3, 4],
      reference: [0.5, 0.5, 0, 0],
      recent: [0, 0.25, 0.25, 0.5],
    });
    expect(svg.match(/fill="none" stroke="#2b6cb0"/g)).toHaveLength(5); // 4 bins + legend
    expect(svg.match(/fill="#d9822b"/g)).toHaveLength(5);
    expect(svg).toContain('Feature distance &#60;to&#62; the training films');
    expect(svg).toContain('>50%<'); // the axis top is the tallest share
    expect(svg).toContain('reference films');
    expect(svg).toContain('recent films');
    // A bar of the tallest share reaches the top of the plot (y = 22), an empty one has no height.
    expect(svg).toMatch(/<rect x="[\d.]+" y="22\.0" width="[\d.]+" height="100\.0" fill="none"/);
    expect(svg).toMatch(/height="0\.0" fill="#d9822b"/);
  });
});
