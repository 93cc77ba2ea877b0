/** What the loaded model is, how it was validated, and its model card. */
import type { CodedErrorInfo } from '../../shared/errors';
import type { ModelInfo } from '../../shared/prediction';
import { significant } from '../../shared/verdict';
import { call, errorInfoOf } from '../app/ipc';
import { clear, h } from '../app/dom';
import { describeError } from './error-messages';
import {
  parseInline,
  parseMarkdown,
  siblingCardModelId,
  type Block,
  type Inline,
} from './markdown';
import { calibrationWording, formatPercent, providerName } from './prediction-format';

/** Which card the dialog shows: the loaded model's, its segmenter's, or one a card linked to. */
type CardSource = { kind: 'model' } | { kind: 'segmenter' } | { kind: 'id'; modelId: string };

export class ModelPanel {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly dialog: HTMLDialogElement;
  private readonly dialogBody: HTMLElement;
  private readonly dialogTitle: HTMLElement;
  private readonly backButton: HTMLButtonElement;
  /** Cards left by following a link, newest last (Back returns to them). */
  private cardHistory: CardSource[] = [];
  private currentCard: CardSource | null = null;

  constructor() {
    this.body = h('div', { className: 'model-body', attrs: { 'data-testid': 'model-info' } });
    this.dialogBody = h('div', { className: 'model-card' });
    this.dialogTitle = h('h2', { text: 'Model card' });
    this.backButton = h('button', {
      className: 'btn',
      text: 'Back',
      title: 'Back to the card this one was opened from',
      attrs: { type: 'button', 'data-testid': 'model-card-back' },
      on: { click: () => this.back() },
    });
    this.backButton.hidden = true;
    this.dialog = h('dialog', { className: 'modal', attrs: { 'aria-label': 'Model card' } }, [
      h('div', { className: 'modal-head' }, [
        this.dialogTitle,
        this.backButton,
        h('button', {
          className: 'btn',
          text: 'Close',
          attrs: { type: 'button' },
          on: { click: () => this.dialog.close() },
        }),
      ]),
      this.dialogBody,
    ]);
    this.root = h('section', { className: 'panel model-panel', attrs: { 'aria-label': 'Model' } }, [
      h('h2', { text: 'Model' }),
      this.body,
      this.dialog,
    ]);
  }

  showError(error: CodedErrorInfo): void {
    clear(this.body);
    const described = describeError(error);
    this.body.append(
      h('div', { className: 'error-sentence', text: described.sentence, attrs: { role: 'alert' } }),
      h('div', { className: 'muted small', text: described.detail }),
    );
  }

  show(model: ModelInfo): void {
    clear(this.body);
    const provider = model.provider;
    const rejected = provider.rejected.map(
      (r) => `${providerName(r.provider)} not used: ${r.reason}`,
    );
    const thresholds = Object.entries(model.thresholds)
      .map(([label, value]) => `${label} ${formatPercent(value)}`)
      .join(', ');
    this.body.append(
      h('dl', { className: 'facts' }, [
        h('dt', { text: 'Name' }),
        h('dd', { text: `${model.name} ${model.version}` }),
        h('dt', { text: 'Runs on' }),
        h('dd', {
          text: `${providerName(provider.active)} (${provider.intraOpThreads} threads)`,
          title: rejected.join('\n'),
        }),
        h('dt', { text: 'Input' }),
        h('dd', { text: `${model.inputSize.width} x ${model.inputSize.height}` }),
        ...(model.segmenter
          ? [
              h('dt', { text: 'Lung segmenter' }),
              h('dd', {
                text: `${model.segmenter.name} ${model.segmenter.version}`,
                title:
                  'Finds the lung fields first: the chest check uses them, and the model sees a crop around them',
                attrs: { 'data-testid': 'segmenter-info' },
              }),
            ]
          : []),
        h('dt', { text: 'Thresholds' }),
        h('dd', { text: thresholds || 'none' }),
        // What the probabilities and the verdict rest on (issue 17).
        h('dt', { text: 'Probabilities' }),
        h('dd', {
          text: calibrationWording(model.calibration).detail,
          title: model.calibration?.fitted_on ?? '',
          attrs: { 'data-testid': 'model-calibration' },
        }),
        h('dt', { text: 'Verdict' }),
        h('dd', {
          text:
            (model.verdictRule.minProbability !== null
              ? `A call needs the top class at ${significant(model.verdictRule.minProbability)} or more` +
                (model.verdictRule.margin > 0
                  ? ` and ${model.verdictRule.margin.toFixed(2)} ahead of the next; `
                  : '; ')
              : `A call needs the top class ${model.verdictRule.margin.toFixed(2)} ahead of the next; `) +
            (model.familiarityCheck
              ? `films unlike the training films (feature distance > ${model.familiarityCheck.unfamiliarAbove.toFixed(2)}) are marked unfamiliar.`
              : 'this model cannot tell an unfamiliar film from its features.'),
          title: [model.verdictRule.chosenOn, model.familiarityCheck?.fitted_on]
            .filter(Boolean)
            .join('\n'),
        }),
      ]),
      ...rejected.map((line) => h('p', { className: 'muted small', text: line })),
      h('p', { className: 'intended-use', text: model.intendedUse }),
    );
    if (model.evaluationSummary?.length) {
      this.body.append(
        h('h3', { text: 'How it was checked' }),
        h(
          'ul',
          { className: 'evaluation', attrs: { 'data-testid': 'evaluation-summary' } },
          model.evaluationSummary.map((line) => h('li', { text: line })),
        ),
      );
    }
    if (model.hasModelCard) {
      this.body.append(
        h('button', {
          className: 'btn',
          text: 'Model card…',
          attrs: { type: 'button', 'data-testid': 'model-card-button' },
          on: { click: () => void this.openCard() },
        }),
      );
    }
    if (model.segmenter?.hasModelCard) {
      this.body.append(
        h('button', {
          className: 'btn',
          text: 'Segmenter card…',
          title: `Model card of the lung segmenter ${model.segmenter.name}`,
          attrs: { type: 'button', 'data-testid': 'segmenter-card-button' },
          on: { click: () => void this.openCard('segmenter') },
        }),
      );
    }
  }

  /** Shows the classifier's model card, or the lung segmenter's. */
  async openCard(which: 'model' | 'segmenter' = 'model'): Promise<void> {
    this.cardHistory = [];
    await this.showCard({ kind: which });
  }

  /** A card's link to a sibling model's card: only the model id goes to main. */
  private followCardLink(modelId: string): void {
    if (this.currentCard) this.cardHistory.push(this.currentCard);
    void this.showCard({ kind: 'id', modelId });
  }

  private back(): void {
    const previous = this.cardHistory.pop();
    if (previous) void this.showCard(previous);
  }

  private setCardTitle(title: string): void {
    this.dialogTitle.textContent = title;
    this.dialog.setAttribute('aria-label', title);
  }

  private async showCard(source: CardSource): Promise<void> {
    this.currentCard = source;
    this.backButton.hidden = this.cardHistory.length === 0;
    this.setCardTitle(
      source.kind === 'model'
        ? 'Model card'
        : source.kind === 'segmenter'
          ? 'Lung segmenter card'
          : `Model card: ${source.modelId}`,
    );
    clear(this.dialogBody);
    this.dialogBody.append(h('p', { className: 'muted', text: 'Loading…' }));
    if (!this.dialog.open) this.dialog.showModal();
    try {
      let markdown: string;
      if (source.kind === 'id') {
        const card = await call('model:getCardById', { modelId: source.modelId });
        this.setCardTitle(`Model card: ${card.name}`);
        markdown = card.markdown;
      } else {
        const channel = source.kind === 'model' ? 'model:getCard' : 'model:getSegmenterCard';
        markdown = (await call(channel, {})).markdown;
      }
      if (this.currentCard !== source) return; // another card was asked for meanwhile
      clear(this.dialogBody);
      const openCard = (modelId: string): void => this.followCardLink(modelId);
      for (const block of parseMarkdown(markdown))
        this.dialogBody.append(renderBlock(block, openCard));
      this.dialogBody.scrollTop = 0;
    } catch (error) {
      if (this.currentCard !== source) return;
      clear(this.dialogBody);
      this.dialogBody.append(
        h('p', { className: 'error-sentence', text: describeError(errorInfoOf(error)).sentence }),
      );
    }
  }
}

/**
 * A link to a sibling model's card opens it in the dialog; any other link is shown (its text and,
 * beside it, its target) but not followed: the app opens nothing outside its model cards.
 */
function renderLink(
  inline: Extract<Inline, { kind: 'link' }>,
  openCard: (modelId: string) => void,
): Node {
  const modelId = siblingCardModelId(inline.target);
  if (modelId) {
    return h('button', {
      className: 'link-button',
      text: inline.text,
      title: `Open the model card of ${modelId}`,
      attrs: { type: 'button', 'data-testid': 'card-link', 'data-model-id': modelId },
      on: { click: () => openCard(modelId) },
    });
  }
  return h(
    'span',
    {
      className: 'inert-link',
      title: 'Shown for reference; the app does not open links',
      attrs: { 'data-testid': 'card-link-inert' },
    },
    [inline.text, ' ', h('span', { className: 'muted link-target', text: `<${inline.target}>` })],
  );
}

function renderInlines(inlines: Inline[], openCard: (modelId: string) => void): Node[] {
  return inlines.map((inline) => {
    if (inline.kind === 'text') return document.createTextNode(inline.text);
    if (inline.kind === 'link') return renderLink(inline, openCard);
    const tag = inline.kind === 'strong' ? 'strong' : inline.kind === 'em' ? 'em' : 'code';
    return h(tag, { text: inline.text });
  });
}

function renderBlock(block: Block, openCard: (modelId: string) => void): HTMLElement {
  switch (block.kind) {
    case 'heading': {
      const level = Math.min(6, block.level + 2) as 3 | 4 | 5 | 6;
      return h(`h${level}`, {}, renderInlines(block.inlines, openCard));
    }
    case 'paragraph':
      return h('p', {}, renderInlines(block.inlines, openCard));
    case 'list':
      return h(
        'ul',
        {},
        block.items.map((item) => h('li', {}, renderInlines(item, openCard))),
      );
    case 'code':
      return h('pre', { text: block.text });
    case 'table':
      return h(
        'table',
        { className: 'card-table' },
        block.rows.map((row, index) =>
          h(
            'tr',
            {},
            row.map((cell) =>
              h(index === 0 ? 'th' : 'td', {}, renderInlines(parseInline(cell), openCard)),
            ),
          ),
        ),
      );
  }
}
