/**
 * The model's opinion on the image on screen: the verdict (call / uncertain / unfamiliar) in plain
 * words, the probabilities (calibrated or not), the site profile in use, heatmap and lung-outline
 * controls, or the chest gate's plain-words reason for not scoring it.
 */
import type { CodedErrorInfo } from '../../shared/errors';
import {
  heatmapFor,
  type FilmAnalysis,
  type RejectedFilm,
  type ScoredFilm,
} from '../../shared/analysis';
import {
  heatmapCaption,
  LEADING_NAME,
  resultStatement,
  type ResultStatement,
} from '../../shared/result-statement';
import { clear, h } from '../app/dom';
import { colorForValue, TRANSPARENT_BELOW } from '../viewer/heatmap-colors';
import { describeError } from './error-messages';
import {
  calibrationWording,
  formatPercent,
  providerName,
  rejectionSentences,
  timingSentence,
} from './prediction-format';

export interface PredictionPanelEvents {
  onHeatmapVisible(visible: boolean): void;
  onLungsVisible(visible: boolean): void;
  onHeatmapOpacity(opacity: number): void;
  onHeatmapLabel(label: string): void;
  onRetry(): void;
  /** "Export report…": main asks for a folder and writes the reports of the image on screen. */
  onExportReport(): void;
}

export class PredictionPanel {
  readonly root: HTMLElement;
  private readonly status: HTMLElement;
  private readonly result: HTMLElement;
  private readonly heatmapToggle: HTMLInputElement;
  private readonly lungsToggle: HTMLInputElement;
  private readonly lungsNote: HTMLElement;
  private readonly opacity: HTMLInputElement;
  private readonly labelSelect: HTMLSelectElement;
  private readonly heatmapNote: HTMLElement;
  private readonly exportButton: HTMLButtonElement;
  private readonly exportMessage: HTMLElement;

  constructor(private readonly events: PredictionPanelEvents) {
    this.status = h('div', {
      className: 'prediction-status',
      attrs: { 'aria-live': 'polite', 'data-testid': 'prediction-status' },
    });
    this.result = h('div', {
      className: 'prediction-result',
      attrs: { 'data-testid': 'prediction-result' },
    });
    this.heatmapToggle = h('input', {
      attrs: { type: 'checkbox', id: 'heatmap-toggle', 'data-testid': 'heatmap-toggle' },
    });
    this.heatmapToggle.addEventListener('change', () =>
      events.onHeatmapVisible(this.heatmapToggle.checked),
    );
    this.lungsToggle = h('input', {
      attrs: { type: 'checkbox', id: 'lungs-toggle', 'data-testid': 'lungs-toggle' },
    });
    this.lungsToggle.disabled = true;
    this.lungsToggle.addEventListener('change', () =>
      events.onLungsVisible(this.lungsToggle.checked),
    );
    this.lungsNote = h('div', {
      className: 'muted small',
      attrs: { 'data-testid': 'lungs-note' },
    });
    this.opacity = h('input', {
      attrs: {
        type: 'range',
        min: '0',
        max: '100',
        value: '50',
        id: 'heatmap-opacity',
        'aria-label': 'Heatmap opacity',
      },
    });
    this.opacity.addEventListener('input', () =>
      events.onHeatmapOpacity(Number(this.opacity.value) / 100),
    );
    this.labelSelect = h('select', {
      attrs: { id: 'heatmap-label', 'aria-label': 'Class the heatmap explains' },
    });
    this.labelSelect.addEventListener('change', () =>
      events.onHeatmapLabel(this.labelSelect.value),
    );
    this.heatmapNote = h('div', { className: 'muted small' });

    const heatmapControls = h('fieldset', { className: 'heatmap-controls' }, [
      h('legend', { text: 'Overlays' }),
      h('label', { className: 'row', attrs: { for: 'heatmap-toggle' } }, [
        this.heatmapToggle,
        h('span', { text: 'Show heatmap' }),
        h('kbd', { text: 'H' }),
      ]),
      h('label', { className: 'row', attrs: { for: 'lungs-toggle' } }, [
        this.lungsToggle,
        h('span', { text: 'Show lung outline' }),
        h('kbd', { text: 'L' }),
      ]),
      this.lungsNote,
      h('label', { className: 'row', attrs: { for: 'heatmap-opacity' } }, [
        h('span', { text: 'Opacity' }),
        this.opacity,
      ]),
      h('label', { className: 'row', attrs: { for: 'heatmap-label' } }, [
        h('span', { text: 'Explains' }),
        this.labelSelect,
      ]),
      legend(),
      this.heatmapNote,
    ]);

    this.exportButton = h('button', {
      className: 'btn',
      text: 'Export report…',
      title: 'Save a DICOM Structured Report, the heatmap as DICOM, and a PDF report to a folder',
      attrs: { type: 'button', 'data-testid': 'export-report' },
      on: { click: () => this.events.onExportReport() },
    });
    this.exportMessage = h('div', {
      className: 'muted small export-message',
      attrs: { 'aria-live': 'polite', 'data-testid': 'export-report-message' },
    });
    const reportControls = h('div', { className: 'report-export' }, [
      this.exportButton,
      this.exportMessage,
    ]);

    this.root = h(
      'section',
      { className: 'panel prediction-panel', attrs: { 'aria-label': 'AI prediction' } },
      [h('h2', { text: 'AI opinion' }), this.status, this.result, reportControls, heatmapControls],
    );
    this.showIdle();
  }

  showIdle(): void {
    this.root.dataset.state = 'idle';
    this.exportButton.disabled = true;
    delete this.root.dataset.result;
    delete this.root.dataset.verdict;
    this.status.textContent = 'Open an image to see the model’s opinion.';
    clear(this.result);
  }

  showRunning(): void {
    this.root.dataset.state = 'running';
    this.exportButton.disabled = true;
    delete this.root.dataset.result;
    delete this.root.dataset.verdict;
    clear(this.status);
    this.status.append(
      h('span', { className: 'spinner', attrs: { 'aria-hidden': 'true' } }),
      ' Analysing the image…',
    );
  }

  showError(error: CodedErrorInfo): void {
    this.root.dataset.state = 'error';
    this.exportButton.disabled = true;
    delete this.root.dataset.result;
    delete this.root.dataset.verdict;
    this.showLungControls(false);
    const described = describeError(error);
    clear(this.status);
    clear(this.result);
    this.status.append(
      h('div', {
        className: 'error-sentence',
        text: described.sentence,
        title: described.detail,
        attrs: { role: 'alert' },
      }),
      h('div', { className: 'muted small', text: described.detail }),
      h('button', {
        className: 'btn',
        text: 'Try again',
        attrs: { type: 'button' },
        on: { click: () => this.events.onRetry() },
      }),
    );
  }

  /** While an export runs the button waits; afterwards the message says what was saved. */
  showExportProgress(busy: boolean): void {
    this.exportButton.disabled = busy || this.root.dataset.state !== 'done';
    this.exportButton.textContent = busy ? 'Exporting…' : 'Export report…';
    if (busy) this.exportMessage.textContent = '';
  }

  showExportMessage(text: string, isError = false): void {
    this.exportMessage.textContent = text;
    this.exportMessage.classList.toggle('error-sentence', isError);
  }

  setHeatmapVisible(visible: boolean): void {
    this.heatmapToggle.checked = visible;
  }

  setLungsVisible(visible: boolean): void {
    this.lungsToggle.checked = visible;
  }

  /** A scored film or the gate's rejection; `data-result` says which ('scored' | 'rejected'). */
  showResult(
    result: FilmAnalysis,
    caution: string | null = null,
    heatmapLabel: string | undefined = undefined,
  ): void {
    this.root.dataset.state = 'done';
    this.exportButton.disabled = false;
    this.root.dataset.result = result.status;
    if (result.status === 'scored') this.root.dataset.verdict = result.verdict.kind;
    else delete this.root.dataset.verdict;
    clear(this.status);
    clear(this.result);
    this.showLungControls(result.lungs !== undefined);
    if (result.status === 'rejected') this.showRejected(result);
    else this.showScored(result, caution, heatmapLabel);
  }

  private showLungControls(hasLungs: boolean): void {
    this.lungsToggle.disabled = !hasLungs;
    this.lungsNote.textContent = hasLungs
      ? 'Lung outline: the lung fields the segmenter found (the model’s input is cropped around them).'
      : '';
  }

  private showRejected(film: RejectedFilm): void {
    const { headline, reason } = rejectionSentences(film);
    this.result.append(
      h('div', { className: 'rejected', attrs: { 'data-testid': 'rejected-film', role: 'note' } }, [
        h('p', { className: 'rejected-headline', text: headline }),
        h('p', { className: 'rejected-reason', text: reason }),
      ]),
      h('dl', { className: 'facts' }, [
        h('dt', { text: 'Model' }),
        h('dd', { text: `${film.modelName} ${film.modelVersion}` }),
      ]),
    );
    this.heatmapNote.textContent = 'No heatmap: the image was not scored.';
  }

  private showScored(
    result: ScoredFilm,
    caution: string | null,
    heatmapLabel: string | undefined,
  ): void {
    const statement = resultStatement(result);
    // Only a call gets the bold class; otherwise the highest class is the secondary figure,
    // named as such, so a coin toss never looks like a finding. A site profile may call a class
    // other than the highest: the call is shown, the highest is named below it.
    const confident = statement.statedClass !== null;
    const shownLabel = statement.statedClass ?? statement.leading?.label ?? '';
    const shownProbability = result.probabilities[result.labels.indexOf(shownLabel)] ?? 0;
    const leading = statement.leading;
    // A call shows its class in bold; otherwise the highest class, quietly and by its one name.
    const predicted = h(
      'div',
      {
        className: `predicted ${confident ? 'confident' : 'not-confident'}`,
        attrs: { 'data-testid': 'predicted-label', 'data-confident': String(confident) },
      },
      [
        h('span', {
          className: 'predicted-label',
          text: confident ? shownLabel : `${LEADING_NAME}: ${shownLabel}`,
        }),
        h('span', { className: 'predicted-probability', text: formatPercent(shownProbability) }),
      ],
    );
    // A site profile's call of another class than the highest: the highest is named below it.
    const highestNote =
      confident && leading && leading.label !== shownLabel
        ? h('p', {
            className: 'threshold leading-figure',
            text: `${LEADING_NAME}: ${leading.label} ${formatPercent(leading.probability)}.`,
            attrs: { 'data-testid': 'highest-probability' },
          })
        : '';
    const calibration = calibrationWording(result.calibration, result.verdict.operatingPoint);
    const siteLines = [statement.siteProfile, ...statement.warnings].filter(
      (line): line is string => Boolean(line),
    );
    const bars = h('ul', {
      className: 'prob-bars',
      attrs: { 'aria-label': 'Class probabilities' },
    });
    result.labels.forEach((label, index) => {
      const probability = result.probabilities[index];
      const fill = h('div', { className: 'bar-fill' });
      fill.style.width = `${(probability * 100).toFixed(1)}%`;
      bars.append(
        h(
          'li',
          {
            className: `prob-row${label === shownLabel ? (confident ? ' predicted-row' : ' leading-row') : ''}`,
            attrs: {
              'data-testid': 'probability',
              'data-label': label,
              'data-probability': String(probability),
            },
          },
          [
            h('span', { className: 'prob-label', text: label }),
            h(
              'div',
              {
                className: 'bar',
                attrs: {
                  role: 'meter',
                  'aria-valuemin': '0',
                  'aria-valuemax': '1',
                  'aria-valuenow': String(probability),
                  'aria-label': label,
                },
              },
              [fill],
            ),
            h('span', { className: 'prob-value', text: formatPercent(probability) }),
          ],
        ),
      );
    });
    this.result.append(
      caution ? h('p', { className: 'caution', text: caution, attrs: { role: 'note' } }) : '',
      // The verdict first; its reason says what decided it.
      statementBlock(statement),
      siteLines.length
        ? h(
            'div',
            { className: 'site-profile', attrs: { 'data-testid': 'site-profile', role: 'note' } },
            siteLines.map((line) => h('p', { text: line })),
          )
        : '',
      predicted,
      highestNote,
      h('p', {
        className: `calibration${result.calibration ? '' : ' uncalibrated'}`,
        text: `Probabilities: ${calibration.short}`,
        title: calibration.detail,
        attrs: { 'data-testid': 'calibration' },
      }),
      bars,
      h('dl', { className: 'facts' }, [
        h('dt', { text: 'Model' }),
        h('dd', { text: `${result.modelName} ${result.modelVersion}` }),
        h('dt', { text: 'Calibration' }),
        h('dd', { className: 'small', text: calibration.detail }),
        h('dt', { text: 'Runs on' }),
        h('dd', { text: providerName(result.executionProvider) }),
        h('dt', { text: 'Time' }),
        h('dd', { text: timingSentence(result) }),
      ]),
    );
    // Class choices for the heatmap.
    if (this.labelSelect.options.length !== result.labels.length) {
      clear(this.labelSelect);
      for (const label of result.labels)
        this.labelSelect.append(h('option', { text: label, attrs: { value: label } }));
    }
    this.showHeatmapChoice(result, heatmapLabel);
  }

  /** The class whose map is shown (default: the predicted one); the maps came with the result. */
  showHeatmapChoice(result: ScoredFilm, label: string | undefined): void {
    const heatmap = heatmapFor(result, label);
    this.labelSelect.value = heatmap?.label ?? result.predictedLabel;
    this.heatmapNote.textContent = heatmap
      ? heatmapCaption(heatmap)
      : 'This model gave no heatmap.';
  }
}

/** The result statement in plain words, styled by kind so a call, a coin toss and an odd film differ. */
function statementBlock(statement: ResultStatement): HTMLElement {
  return h(
    'div',
    {
      className: `verdict verdict-${statement.kind}`,
      attrs: { 'data-testid': 'verdict', 'data-kind': statement.kind, role: 'note' },
    },
    [
      h('p', { className: 'verdict-headline', text: statement.headline }),
      h('p', { className: 'verdict-reason', text: statement.reason }),
      h('p', { className: 'verdict-advice muted small', text: statement.advice }),
    ],
  );
}

function legend(): HTMLElement {
  const canvas = h('canvas', {
    className: 'legend-ramp',
    attrs: { width: '160', height: '10', 'aria-hidden': 'true' },
  });
  const context = canvas.getContext('2d');
  if (context) {
    for (let x = 0; x < 160; x++) {
      const value = x / 159;
      const [r, g, b] = colorForValue(value);
      context.fillStyle = value <= TRANSPARENT_BELOW ? 'rgba(0,0,0,0)' : `rgb(${r},${g},${b})`;
      context.fillRect(x, 0, 1, 10);
    }
  }
  return h(
    'div',
    {
      className: 'legend',
      attrs: {
        'aria-label':
          'Heatmap colour legend: transparent means little evidence, red means most evidence',
      },
    },
    [
      canvas,
      h('div', { className: 'legend-labels' }, [
        h('span', { text: 'less evidence' }),
        h('span', { text: 'more' }),
      ]),
    ],
  );
}
