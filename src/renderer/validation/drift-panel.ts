/**
 * "Are recent films like the model's reference films?": the drift monitor over the films screened
 * recently (screening jobs and the DICOM inbox), no labels needed. One plain verdict first, then
 * each signal with its test and p-value, and a small chart of the distributions.
 */
import type { DriftReport } from '../../shared/drift';
import { button, h } from '../app/dom';
import { call, errorInfoOf } from '../app/ipc';
import { describeError } from '../panels/error-messages';
import { driftHistogramSvg } from './drift-chart';
import { svgDataUrl } from './validation-format';

const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(3));
const pValue = (p: number | null) =>
  p === null ? 'n/a' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4);

export class DriftPanel {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly checkButton: HTMLButtonElement;

  constructor() {
    this.body = h('div', { className: 'drift-body', attrs: { 'data-testid': 'drift-report' } });
    this.checkButton = button('Check recent films', () => void this.check(), { className: 'btn' });
    this.checkButton.dataset.testid = 'check-drift';
    this.root = h(
      'section',
      { className: 'drift-panel', attrs: { 'aria-label': 'Drift monitor' } },
      [
        h('h3', { text: 'Are recent films like the reference films?' }),
        h('p', {
          className: 'muted small',
          text: 'Compares the films screened recently (screening and the DICOM inbox) with the films the model was checked on. No labels needed. A different population is a reason to validate on your films, not proof that results are wrong.',
        }),
        h('div', { className: 'toolbar' }, [this.checkButton]),
        this.body,
      ],
    );
  }

  private async check(): Promise<void> {
    this.checkButton.disabled = true;
    this.body.replaceChildren(h('p', { className: 'muted', text: 'Comparing…' }));
    try {
      this.render(await call('drift:recent', {}));
    } catch (error) {
      const described = describeError(errorInfoOf(error));
      this.body.replaceChildren(
        h('p', {
          className: 'validation-message error',
          attrs: { 'data-testid': 'drift-verdict' },
          text: `${described.sentence} (${described.detail})`,
        }),
      );
    } finally {
      this.checkButton.disabled = false;
    }
  }

  private render(report: DriftReport): void {
    const rows = report.signals.map((s) =>
      h('tr', { className: s.different ? 'drift-different' : '' }, [
        h('td', { text: s.title }),
        h('td', {
          text:
            s.kind === 'share'
              ? `${pct(s.recent.share)} (n=${s.recent.n})`
              : `median ${num(s.recent.median)} (n=${s.recent.n})`,
        }),
        h('td', {
          text:
            s.kind === 'share'
              ? `${pct(s.reference.share)} (n=${s.reference.n})`
              : `median ${num(s.reference.median)} (n=${s.reference.n})`,
        }),
        h('td', {
          text:
            s.test === 'fisher-exact' ? 'Fisher exact' : `KS D=${num(s.statistic ?? undefined)}`,
        }),
        h('td', { text: pValue(s.pValue) }),
        h('td', { text: s.different ? 'different' : '—' }),
      ]),
    );
    this.body.replaceChildren(
      h('p', {
        className:
          report.verdict === 'similar' ? 'drift-verdict similar' : 'drift-verdict different',
        attrs: { 'data-testid': 'drift-verdict' },
        text:
          report.verdict === 'similar'
            ? 'Similar to the reference films.'
            : `Different: ${report.verdict.replace(/^different: /, '')}.`,
      }),
      h('p', {
        className: 'muted small',
        text: `${report.recent.films} recent films against ${report.reference.films} reference films of ${report.modelId} (${report.reference.source}); a signal differs below p = ${report.alpha.toPrecision(2)}.`,
      }),
      h('table', { className: 'drift-table', attrs: { 'data-testid': 'drift-signals' } }, [
        h('thead', {}, [
          h(
            'tr',
            {},
            ['Signal', 'Recent', 'Reference', 'Test', 'p', ''].map((t) => h('th', { text: t })),
          ),
        ]),
        h('tbody', {}, rows),
      ]),
      ...report.warnings.map((w) => h('p', { className: 'muted small', text: `⚠ ${w}` })),
      h(
        'div',
        { className: 'drift-charts', attrs: { 'data-testid': 'drift-chart' } },
        report.histograms.map((histogram) =>
          h('img', {
            attrs: { src: svgDataUrl(driftHistogramSvg(histogram)), alt: histogram.title },
          }),
        ),
      ),
    );
  }
}
