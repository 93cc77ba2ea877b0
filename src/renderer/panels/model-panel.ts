/** What the loaded model is, how it was validated, and its model card. */
import type { CodedErrorInfo } from '../../shared/errors';
import type { ModelInfo } from '../../shared/prediction';
import { call, errorInfoOf } from '../app/ipc';
import { clear, h } from '../app/dom';
import { describeError } from './error-messages';
import { parseMarkdown, type Block, type Inline } from './markdown';
import { formatPercent, providerName } from './prediction-format';

export class ModelPanel {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly dialog: HTMLDialogElement;
  private readonly dialogBody: HTMLElement;
  private readonly dialogTitle: HTMLElement;

  constructor() {
    this.body = h('div', { className: 'model-body', attrs: { 'data-testid': 'model-info' } });
    this.dialogBody = h('div', { className: 'model-card' });
    this.dialogTitle = h('h2', { text: 'Model card' });
    this.dialog = h('dialog', { className: 'modal', attrs: { 'aria-label': 'Model card' } }, [
      h('div', { className: 'modal-head' }, [
        this.dialogTitle,
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
    const title = which === 'model' ? 'Model card' : 'Lung segmenter card';
    this.dialogTitle.textContent = title;
    this.dialog.setAttribute('aria-label', title);
    clear(this.dialogBody);
    this.dialogBody.append(h('p', { className: 'muted', text: 'Loading…' }));
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const { markdown } = await call(
        which === 'model' ? 'model:getCard' : 'model:getSegmenterCard',
        {},
      );
      clear(this.dialogBody);
      for (const block of parseMarkdown(markdown)) this.dialogBody.append(renderBlock(block));
    } catch (error) {
      clear(this.dialogBody);
      this.dialogBody.append(
        h('p', { className: 'error-sentence', text: describeError(errorInfoOf(error)).sentence }),
      );
    }
  }
}

function renderInlines(inlines: Inline[]): Node[] {
  return inlines.map((inline) => {
    if (inline.kind === 'text') return document.createTextNode(inline.text);
    const tag = inline.kind === 'strong' ? 'strong' : inline.kind === 'em' ? 'em' : 'code';
    return h(tag, { text: inline.text });
  });
}

function renderBlock(block: Block): HTMLElement {
  switch (block.kind) {
    case 'heading': {
      const level = Math.min(6, block.level + 2) as 3 | 4 | 5 | 6;
      return h(`h${level}`, {}, renderInlines(block.inlines));
    }
    case 'paragraph':
      return h('p', {}, renderInlines(block.inlines));
    case 'list':
      return h(
        'ul',
        {},
        block.items.map((item) => h('li', {}, renderInlines(item))),
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
              h(index === 0 ? 'th' : 'td', {}, renderInlines(parseInlineSafe(cell))),
            ),
          ),
        ),
      );
  }
}

function parseInlineSafe(cell: string): Inline[] {
  return [{ kind: 'text', text: cell }];
}
