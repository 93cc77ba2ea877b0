/**
 * "Your reading" in the viewer's side column: the reader records their own reading of the study
 * on screen (normal / non-COVID pneumonia / COVID-19 / other) and whether they agree with the AI.
 * Stored by main in the app's user data (never in the source file); exportable as CSV.
 */
import type { FilmAnalysis } from '../../shared/analysis';
import {
  READER_LABELS,
  READER_LABEL_WORDS,
  type AiAgreement,
  type AiOpinionSnapshot,
  type ReaderLabel,
  type ReaderReading,
} from '../../shared/reader-reading';
import { call, errorInfoOf } from '../app/ipc';
import { button, h } from '../app/dom';
import { describeError } from '../panels/error-messages';
import './reader-reading.css';

const AGREEMENT_WORDS: Record<AiAgreement | 'none', string> = {
  agree: 'I agree with the AI',
  disagree: 'I disagree with the AI',
  none: 'No opinion on the AI',
};

export class ReaderReadingPanel {
  readonly root: HTMLElement;
  private readonly readingInputs: HTMLInputElement[];
  private readonly agreementInputs: HTMLInputElement[];
  private readonly note: HTMLTextAreaElement;
  private readonly saveButton: HTMLButtonElement;
  private readonly status: HTMLElement;
  private imageId: string | null = null;
  private ai: AiOpinionSnapshot | null = null;
  private sequence = 0;

  constructor() {
    this.readingInputs = READER_LABELS.map((label) =>
      h('input', {
        attrs: {
          type: 'radio',
          name: 'reader-reading',
          value: label,
          'data-testid': `reading-${label}`,
        },
      }),
    );
    this.agreementInputs = (['agree', 'disagree', 'none'] as const).map((value) =>
      h('input', {
        attrs: {
          type: 'radio',
          name: 'reader-agreement',
          value,
          'data-testid': `agreement-${value}`,
        },
      }),
    );
    this.note = h('textarea', {
      attrs: { rows: '2', maxlength: '500', placeholder: 'Note (optional)', 'aria-label': 'Note' },
    });
    this.saveButton = button('Save reading', () => void this.save(), {
      className: 'btn primary',
      title: 'Store your reading of this study on this computer',
    });
    this.saveButton.dataset.testid = 'save-reading';
    for (const input of this.readingInputs) input.addEventListener('change', () => this.update());
    this.status = h('div', {
      className: 'muted small',
      attrs: { role: 'status', 'data-testid': 'reading-status' },
    });
    this.root = h(
      'section',
      { className: 'panel reader-reading-panel', attrs: { 'aria-label': 'Your reading' } },
      [
        h('h2', { text: 'Your reading' }),
        h('fieldset', { className: 'reading-choices' }, [
          h('legend', { text: 'Finding' }),
          ...READER_LABELS.map((label, i) =>
            h('label', {}, [this.readingInputs[i], ` ${READER_LABEL_WORDS[label]}`]),
          ),
        ]),
        h('fieldset', { className: 'reading-choices' }, [
          h('legend', { text: 'The AI opinion' }),
          ...this.agreementInputs.map((input) =>
            h('label', {}, [input, ` ${AGREEMENT_WORDS[input.value as AiAgreement | 'none']}`]),
          ),
        ]),
        this.note,
        h('div', { className: 'toolbar' }, [
          this.saveButton,
          button('Export readings (CSV)…', () => void this.exportCsv(), {
            title:
              'Save every recorded reading as a CSV file (path,label first: usable as site validation labels)',
          }),
        ]),
        this.status,
      ],
    );
    this.showImage(null);
  }

  /** The image on screen changed: show its study's recorded reading, if any. */
  showImage(imageId: string | null): void {
    this.imageId = imageId;
    this.ai = null;
    const sequence = ++this.sequence;
    this.setChoice(null, null, '');
    this.status.textContent = imageId ? '' : 'Open an image to record your reading.';
    this.update();
    if (!imageId) return;
    void call('readings:forImage', { imageId }).then(
      (reading) => {
        if (sequence !== this.sequence || !reading) return;
        this.setChoice(reading.reading, reading.agreement, reading.note);
        this.status.textContent = this.savedText(reading);
        this.update();
      },
      () => undefined,
    );
  }

  /** What the AI showed for the image on screen (stored with the reading). */
  showAiResult(result: FilmAnalysis | null, modelId: string | null): void {
    if (result === null || result.status !== 'scored' || modelId === null) {
      this.ai = null;
    } else {
      this.ai = {
        modelId,
        label: result.predictedLabel,
        probability: result.predictedProbability,
        verdict: result.verdict?.kind ?? null,
        siteProfile: result.verdict?.operatingPoint?.profileName ?? null,
      };
    }
    this.update();
  }

  private setChoice(
    reading: ReaderLabel | null,
    agreement: AiAgreement | null,
    note: string,
  ): void {
    for (const input of this.readingInputs) input.checked = input.value === reading;
    for (const input of this.agreementInputs) input.checked = input.value === (agreement ?? 'none');
    this.note.value = note;
  }

  private selectedReading(): ReaderLabel | null {
    const checked = this.readingInputs.find((input) => input.checked);
    return checked ? (checked.value as ReaderLabel) : null;
  }

  private update(): void {
    this.saveButton.disabled = this.imageId === null || this.selectedReading() === null;
    // Agreeing needs an AI opinion to agree with.
    for (const input of this.agreementInputs) {
      if (input.value !== 'none') input.disabled = this.ai === null;
    }
    if (this.ai === null) {
      for (const input of this.agreementInputs) input.checked = input.value === 'none';
    }
  }

  private savedText(reading: ReaderReading): string {
    const when = new Date(reading.recordedAt).toLocaleString();
    return `Saved ${when}: ${READER_LABEL_WORDS[reading.reading]}${
      reading.agreement
        ? ` (${reading.agreement === 'agree' ? 'agrees' : 'disagrees'} with the AI)`
        : ''
    }. Stored on this computer; the image file is not changed.`;
  }

  private async save(): Promise<void> {
    const reading = this.selectedReading();
    if (this.imageId === null || reading === null) return;
    const agreementValue = this.agreementInputs.find((input) => input.checked)?.value;
    const agreement: AiAgreement | null =
      agreementValue === 'agree' || agreementValue === 'disagree' ? agreementValue : null;
    this.saveButton.disabled = true;
    try {
      const saved = await call('readings:record', {
        imageId: this.imageId,
        reading,
        agreement,
        note: this.note.value,
        ai: this.ai,
      });
      this.status.textContent = this.savedText(saved);
    } catch (error) {
      this.status.textContent = describeError(errorInfoOf(error)).sentence;
    } finally {
      this.update();
    }
  }

  private async exportCsv(): Promise<void> {
    try {
      const { savedTo, count } = await call('readings:export', {});
      if (savedTo) this.status.textContent = `Exported ${count} readings to ${savedTo}.`;
    } catch (error) {
      this.status.textContent = describeError(errorInfoOf(error)).sentence;
    }
  }
}
