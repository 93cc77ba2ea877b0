/**
 * The Inbox tab: the DICOM receiver's settings (off until started here) and the live list of what
 * it received, in triage order (the inbox's screening job, refreshed on its progress events).
 */
import type { ReceiverSettings, ReceiverStatus } from '../../shared/dicom-receiver';
import { AE_TITLE_PATTERN } from '../../shared/dicom-receiver';
import type { ScreeningProgress } from '../../shared/screening';
import { button, clear, h } from '../app/dom';
import { call, errorInfoOf } from '../app/ipc';
import { describeError } from '../panels/error-messages';
import {
  covidProbability,
  fileName,
  resultWords,
  type ResultRow,
} from '../screening/screening-table-model';

export interface InboxViewEvents {
  onOpenImage: (imageId: string, frame: number) => void;
}

function input(type: string, value: string, label: string): HTMLInputElement {
  return h('input', { attrs: { type, value, 'aria-label': label } });
}

export class InboxView {
  readonly root: HTMLElement;
  private readonly port = input('number', '11112', 'Port');
  private readonly aeTitle = input('text', 'COVIDNET', 'AE title');
  private readonly allowed = input('text', '', 'Allowed calling AE titles');
  private readonly screen = input('checkbox', '', 'Screen on arrival');
  private readonly network = input('checkbox', '', 'Listen on the network');
  private readonly toggle: HTMLButtonElement;
  private readonly statusLine = h('p', { className: 'inbox-status', attrs: { role: 'status' } });
  private readonly list = h('tbody');
  private status: ReceiverStatus | null = null;
  private refreshing = false;

  constructor(private readonly events: InboxViewEvents) {
    this.screen.checked = true;
    this.toggle = button('Start receiver', () => void this.startOrStop(), {
      className: 'btn primary',
    });
    const field = (label: string, control: HTMLInputElement) =>
      h('label', { className: 'inbox-field' }, [label, control]);
    this.root = h('section', { className: 'inbox-view', attrs: { 'data-testid': 'inbox-view' } }, [
      h('h2', { text: 'DICOM receiver' }),
      h('p', {
        className: 'inbox-help',
        text:
          'Receives images a modality sends (C-STORE) and screens them as they arrive. Off until ' +
          'started; listens on this computer only unless "Listen on the network" is ticked.',
      }),
      h('div', { className: 'inbox-settings' }, [
        field('Port', this.port),
        field('AE title', this.aeTitle),
        field('Allowed calling AEs (comma-separated, empty = any)', this.allowed),
        field('Screen on arrival', this.screen),
        field('Listen on the network', this.network),
        this.toggle,
      ]),
      this.statusLine,
      h('h2', { text: 'Inbox (highest P(COVID-19) first)' }),
      h('table', { className: 'inbox-list' }, [
        h('thead', {}, [
          h('tr', {}, [
            h('th', { text: 'File' }),
            h('th', { text: 'Result' }),
            h('th', { text: 'P(COVID-19)' }),
          ]),
        ]),
        this.list,
      ]),
    ]);
    window.api.on('receiver:status', (status) => this.show(status));
    window.api.on('screening:progress', (progress) => this.onProgress(progress));
  }

  activate(): void {
    void call('receiver:status', {}).then((status) => this.show(status));
  }

  private settings(): ReceiverSettings | string {
    const port = Number(this.port.value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return 'Port must be 1-65535.';
    const aeTitle = this.aeTitle.value.trim();
    if (!AE_TITLE_PATTERN.test(aeTitle)) return 'AE title: 1-16 characters, no backslash.';
    const allowedCallingAeTitles = this.allowed.value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (!allowedCallingAeTitles.every((t) => AE_TITLE_PATTERN.test(t)))
      return 'Allowed AE titles: 1-16 characters each, no backslash.';
    return {
      port,
      aeTitle,
      allowedCallingAeTitles,
      screen: this.screen.checked,
      listenOnNetwork: this.network.checked,
    };
  }

  private async startOrStop(): Promise<void> {
    try {
      if (this.status?.running) {
        this.show(await call('receiver:stop', {}));
        return;
      }
      const settings = this.settings();
      if (typeof settings === 'string') {
        this.statusLine.textContent = settings;
        return;
      }
      this.show(await call('receiver:start', settings));
    } catch (error) {
      this.statusLine.textContent = describeError(errorInfoOf(error)).sentence;
    }
  }

  private show(status: ReceiverStatus): void {
    this.status = status;
    this.toggle.textContent = status.running ? 'Stop receiver' : 'Start receiver';
    for (const control of [this.port, this.aeTitle, this.allowed, this.screen, this.network])
      control.disabled = status.running;
    this.statusLine.textContent = status.error
      ? describeError(status.error).sentence
      : status.running
        ? `Receiving as ${status.settings?.aeTitle} on ${status.host}:${status.port}; ` +
          `${status.received} received` +
          (status.lastProblem ? `; last problem: ${status.lastProblem}` : '')
        : 'Receiver is off.';
    void this.refresh();
  }

  private onProgress(progress: ScreeningProgress): void {
    if (progress.jobId === this.status?.jobId) void this.refresh();
  }

  /** Reloads the list (one request at a time; a burst of progress events coalesces). */
  private async refresh(): Promise<void> {
    const jobId = this.status?.jobId;
    if (!jobId || this.refreshing) return;
    this.refreshing = true;
    try {
      const { labels, rows } = await call('screening:results', { jobId });
      this.render(rows, labels);
    } catch {
      // The job may not have written its first row yet; the next progress event retries.
    } finally {
      this.refreshing = false;
    }
  }

  private render(rows: ResultRow[], labels: string[]): void {
    clear(this.list);
    for (const row of rows) {
      const p = covidProbability(row, labels);
      const tr = h('tr', {}, [
        h('td', { text: fileName(row.path) }),
        h('td', { text: resultWords(row, labels), title: row.verdict?.reason ?? '' }),
        h('td', { text: p === null ? '' : p.toFixed(3) }),
      ]);
      const imageId = row.imageId;
      if (imageId) {
        tr.tabIndex = 0;
        tr.addEventListener('click', () => this.events.onOpenImage(imageId, row.frame));
      }
      this.list.append(tr);
    }
  }
}
