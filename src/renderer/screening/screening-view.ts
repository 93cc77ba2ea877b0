/** Batch screening: pick folders, run, watch progress, resume, triage table, export. */
import type { ScreeningJobSummary, ScreeningProgress } from '../../shared/screening';
import { LEADING_NAME } from '../../shared/result-statement';
import { call, errorInfoOf } from '../app/ipc';
import { button, clear, h } from '../app/dom';
import { describeError, sentenceFor } from '../panels/error-messages';
import { formatPercentFine } from '../panels/prediction-format';
import { describeScreeningReportsExport } from '../panels/report-export-messages';
import {
  covidIndex,
  fileName,
  filterRows,
  formatEta,
  formatRate,
  rejectedNote,
  sortRows,
  VERDICT_FILTER_OPTIONS,
  verdictCell,
  rowStatement,
  type ResultRow,
  type SortOrder,
} from './screening-table-model';

export interface ScreeningViewEvents {
  onOpenImage(imageId: string, frame: number): void;
}

export class ScreeningView {
  readonly root: HTMLElement;
  private readonly folderList: HTMLElement;
  private readonly startButton: HTMLButtonElement;
  private readonly cancelButton: HTMLButtonElement;
  private readonly progressBar: HTMLProgressElement;
  private readonly progressText: HTMLElement;
  private readonly message: HTMLElement;
  private readonly jobs: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly filterSelect: HTMLSelectElement;
  private readonly exportButtons: HTMLButtonElement[];
  private folders: { folderId: string; displayPath: string }[] = [];
  private runningJobId: string | null = null;
  private resultsJobId: string | null = null;
  private labels: string[] = [];
  private rows: ResultRow[] = [];
  private order: SortOrder = 'triage';
  private filter = 'all';

  constructor(private readonly events: ScreeningViewEvents) {
    this.folderList = h('ul', {
      className: 'folder-list',
      attrs: { 'data-testid': 'screening-folders' },
    });
    this.startButton = button('Start screening', () => void this.start(), {
      className: 'btn primary',
    });
    this.cancelButton = button('Cancel', () => void this.cancel(), {
      title: 'Stop the batch; it can be resumed later',
    });
    this.progressBar = h('progress', {
      attrs: {
        max: '1',
        value: '0',
        'aria-label': 'Screening progress',
        'data-testid': 'screening-progress',
      },
    });
    this.progressText = h('div', {
      className: 'progress-text',
      attrs: { 'aria-live': 'polite', 'data-testid': 'screening-progress-text' },
    });
    this.message = h('div', { className: 'screening-message', attrs: { role: 'status' } });
    this.jobs = h('div', { className: 'jobs' });
    this.filterSelect = h('select', {
      attrs: { 'aria-label': 'Show rows', 'data-testid': 'screening-filter' },
    });
    this.filterSelect.addEventListener('change', () => {
      this.filter = this.filterSelect.value;
      this.renderTable();
    });
    this.table = h('table', { className: 'results', attrs: { 'data-testid': 'screening-table' } });
    this.exportButtons = [
      button('Export CSV…', () => void this.exportResults('csv')),
      button('Export JSON…', () => void this.exportResults('json')),
      button('Export reports…', () => void this.exportReports(), {
        title: 'Save a DICOM SR, the heatmap as DICOM and a PDF for every scored file to a folder',
      }),
    ];

    this.root = h(
      'section',
      { className: 'screening-view', attrs: { 'aria-label': 'Batch screening' } },
      [
        h('div', { className: 'screening-controls panel' }, [
          h('h2', { text: 'Batch screening' }),
          h('p', {
            className: 'muted small',
            text: 'Runs the model over every image in the chosen folders and lists them for review: films that need a look (COVID-19 calls, uncertain and unfamiliar films) by COVID-19 probability, highest first, then confident calls of another class. Research and triage support only.',
          }),
          h('div', { className: 'toolbar' }, [
            button('Add folder…', () => void this.pickFolder(), {
              title: 'Choose a folder to screen',
            }),
            button('Clear', () => this.clearFolders(), { title: 'Forget the chosen folders' }),
            this.startButton,
            this.cancelButton,
          ]),
          this.folderList,
          this.progressBar,
          this.progressText,
          this.message,
          h('h3', { text: 'Earlier batches' }),
          this.jobs,
        ]),
        h('div', { className: 'screening-results panel' }, [
          h('div', { className: 'toolbar' }, [
            h('label', { text: 'Show ' }, [this.filterSelect]),
            ...this.exportButtons,
          ]),
          h('div', { className: 'table-scroll' }, [this.table]),
        ]),
      ],
    );
    window.api.on('screening:progress', (progress) => this.onProgress(progress));
    this.updateButtons();
  }

  /** Called when the view becomes visible. */
  activate(): void {
    void this.refreshJobs();
  }

  private updateButtons(): void {
    this.startButton.disabled = this.runningJobId !== null || this.folders.length === 0;
    this.cancelButton.disabled = this.runningJobId === null;
    for (const b of this.exportButtons)
      b.disabled = this.resultsJobId === null || this.rows.length === 0;
  }

  private showError(error: unknown): void {
    const info = errorInfoOf(error);
    const described = describeError(info);
    this.message.className = 'screening-message error-sentence';
    this.message.textContent = `${described.sentence} (${described.detail})`;
  }

  private say(text: string): void {
    this.message.className = 'screening-message';
    this.message.textContent = text;
  }

  async pickFolder(): Promise<void> {
    try {
      const picked = await call('screening:pickFolder', {});
      if (!picked) return;
      if (!this.folders.some((f) => f.folderId === picked.folderId)) this.folders.push(picked);
      clear(this.folderList);
      for (const folder of this.folders)
        this.folderList.append(h('li', { text: folder.displayPath }));
      this.updateButtons();
    } catch (error) {
      this.showError(error);
    }
  }

  clearFolders(): void {
    this.folders = [];
    this.renderFolders();
    this.updateButtons();
  }

  private renderFolders(): void {
    clear(this.folderList);
    for (const folder of this.folders)
      this.folderList.append(h('li', { text: folder.displayPath }));
  }

  async start(resumeJobId?: string): Promise<void> {
    try {
      this.say(resumeJobId ? 'Resuming…' : 'Starting…');
      const folderIds = resumeJobId ? [] : this.folders.map((f) => f.folderId);
      const { jobId } = await call(
        'screening:start',
        resumeJobId ? { folderIds, resumeJobId } : { folderIds },
      );
      this.runningJobId = jobId;
      this.root.dataset.jobId = jobId;
      this.root.dataset.state = 'running';
      this.updateButtons();
    } catch (error) {
      this.showError(error);
    }
  }

  async cancel(): Promise<void> {
    if (!this.runningJobId) return;
    try {
      await call('screening:cancel', { jobId: this.runningJobId });
    } catch (error) {
      this.showError(error);
    }
  }

  private onProgress(progress: ScreeningProgress): void {
    if (this.runningJobId && progress.jobId !== this.runningJobId) return;
    this.progressBar.max = Math.max(progress.total, 1);
    this.progressBar.value = progress.done;
    const parts = [
      progress.state === 'scanning'
        ? 'Looking for images…'
        : `${progress.done} of ${progress.total} images`,
      progress.errors ? `${progress.errors} could not be read` : '',
      progress.state === 'running' ? formatRate(progress.ratePerSecond) : '',
      progress.state === 'running' ? `about ${formatEta(progress.etaSeconds)} left` : '',
      progress.resumed ? `${progress.resumed} carried over from the earlier run` : '',
    ];
    this.progressText.textContent = parts.filter(Boolean).join(' · ');
    this.root.dataset.state = progress.state;
    if (progress.message) this.say(progress.message);
    if (
      progress.state === 'finished' ||
      progress.state === 'cancelled' ||
      progress.state === 'failed'
    ) {
      this.runningJobId = null;
      this.say(
        progress.state === 'finished'
          ? 'Finished.'
          : progress.state === 'cancelled'
            ? 'Cancelled. The batch can be resumed from “Earlier batches”.'
            : `The batch stopped: ${progress.message ?? 'unknown error'}`,
      );
      this.updateButtons();
      void this.loadResults(progress.jobId);
      void this.refreshJobs();
    }
  }

  async refreshJobs(): Promise<void> {
    try {
      const jobs = await call('screening:listJobs', {});
      clear(this.jobs);
      if (jobs.length === 0) {
        this.jobs.append(h('p', { className: 'muted small', text: 'None yet.' }));
        return;
      }
      this.jobs.append(
        h(
          'ul',
          { className: 'job-list' },
          jobs.slice(0, 20).map((job) => this.jobItem(job)),
        ),
      );
    } catch (error) {
      this.showError(error);
    }
  }

  private jobItem(job: ScreeningJobSummary): HTMLElement {
    const resumable =
      job.state === 'interrupted' || job.state === 'cancelled' || job.state === 'failed';
    return h('li', { attrs: { 'data-job-id': job.jobId } }, [
      h('div', { className: 'job-title', text: job.folders.join(', ') }),
      h('div', {
        className: 'muted small',
        text: `${new Date(job.createdAt).toLocaleString()} · ${job.state} · ${job.done}/${job.total} done${job.errors ? `, ${job.errors} errors` : ''}`,
      }),
      h('div', { className: 'toolbar' }, [
        button('Show results', () => void this.loadResults(job.jobId)),
        resumable && this.runningJobId === null
          ? button('Resume', () => void this.start(job.jobId), {
              title: 'Continue this batch where it stopped',
            })
          : null,
      ]),
    ]);
  }

  async loadResults(jobId: string): Promise<void> {
    try {
      const results = await call('screening:results', { jobId });
      this.resultsJobId = jobId;
      this.labels = results.labels;
      this.rows = results.rows;
      this.order = 'triage';
      clear(this.filterSelect);
      this.filterSelect.append(
        h('option', { text: 'All rows', attrs: { value: 'all' } }),
        ...results.labels.map((label) =>
          h('option', { text: `Predicted ${label}`, attrs: { value: label } }),
        ),
        ...VERDICT_FILTER_OPTIONS.map((option) =>
          h('option', { text: option.text, attrs: { value: option.value } }),
        ),
        h('option', { text: 'Not a frontal chest X-ray', attrs: { value: 'rejected' } }),
        h('option', { text: 'Errors only', attrs: { value: 'errors' } }),
      );
      const known = [
        ...this.labels,
        ...VERDICT_FILTER_OPTIONS.map((option) => option.value),
        'errors',
        'rejected',
      ];
      this.filterSelect.value = known.includes(this.filter) ? this.filter : 'all';
      this.filter = this.filterSelect.value;
      this.renderTable();
      this.updateButtons();
    } catch (error) {
      this.showError(error);
    }
  }

  private renderTable(): void {
    clear(this.table);
    const covid = covidIndex(this.labels);
    const arrow = this.order === 'triage' ? ' ▼' : ' ▲';
    const sortHeader = h(
      'th',
      { attrs: { 'aria-sort': this.order === 'triage' ? 'descending' : 'ascending' } },
      [
        h('button', {
          className: 'th-button',
          text: `P(${this.labels[covid] ?? 'COVID-19'})${arrow}`,
          title:
            'Triage order: films that need a look (COVID-19 calls, uncertain, unfamiliar), then confident calls of another class, each by COVID-19 probability. Click to reverse.',
          attrs: { type: 'button', 'data-testid': 'sort-covid' },
          on: {
            click: () => {
              this.order = this.order === 'triage' ? 'ascending' : 'triage';
              this.renderTable();
            },
          },
        }),
      ],
    );
    const otherLabels = this.labels.filter((_, index) => index !== covid);
    this.table.append(
      h('thead', {}, [
        h('tr', {}, [
          h('th', { text: '#' }),
          h('th', { text: 'File' }),
          h('th', {
            text: 'Result',
            title:
              'Call: a class clearly ahead; Uncertain: the classes it hesitates between; Unfamiliar film: unlike the films the model was trained on',
          }),
          h('th', { text: LEADING_NAME }),
          sortHeader,
          ...otherLabels.map((label) => h('th', { text: `P(${label})` })),
          h('th', { text: 'Notes' }),
        ]),
      ]),
    );
    const body = h('tbody');
    const rows = filterRows(sortRows(this.rows, this.labels, this.order), this.filter);
    rows.forEach((row, index) => {
      const openable = row.imageId !== null;
      const tr = h(
        'tr',
        {
          className: `${row.status}${openable ? ' openable' : ''}`,
          title: openable ? 'Open in the viewer' : row.path,
          attrs: {
            'data-testid': 'screening-row',
            'data-image-id': row.imageId ?? '',
            'data-covid': covid >= 0 && row.probabilities ? String(row.probabilities[covid]) : '',
            ...(openable ? { tabindex: '0' } : {}),
          },
        },
        [
          h('td', { text: String(index + 1) }),
          h('td', {
            className: 'file',
            text: fileName(row.path) + (row.frame ? ` [frame ${row.frame + 1}]` : ''),
            title: row.path,
          }),
          h('td', {
            className: `verdict-cell ${row.verdict?.kind ?? ''}`,
            text: verdictCell(row, this.labels),
            title: rowStatement(row, this.labels)?.reason ?? '',
            attrs: {
              'data-testid': 'verdict-cell',
              'data-kind': row.status === 'ok' ? (row.verdict?.kind ?? '') : '',
            },
          }),
          h('td', {
            // The highest class, the secondary figure: quiet unless the result calls it (a site
            // profile may call another class; the Result column says which).
            className: `prediction-cell${row.verdict && row.verdict.label !== row.prediction ? ' not-confident' : ''}`,
            text: row.status === 'rejected' ? 'not scored' : (row.prediction ?? '—'),
          }),
          h('td', {
            className: 'num',
            text:
              covid >= 0 && row.probabilities ? formatPercentFine(row.probabilities[covid]) : '—',
          }),
          ...otherLabels.map((label) => {
            const i = this.labels.indexOf(label);
            return h('td', {
              className: 'num',
              text: row.probabilities ? formatPercentFine(row.probabilities[i]) : '—',
            });
          }),
          h('td', {
            className: 'notes',
            text:
              row.status === 'rejected'
                ? rejectedNote(row)
                : (row.status === 'error' || row.status === 'skipped') && row.errorCode
                  ? sentenceFor(row.errorCode)
                  : '',
            title: row.errorMessage ?? '',
            attrs: row.status === 'rejected' ? { 'data-testid': 'rejected-note' } : {},
          }),
        ],
      );
      if (openable && row.imageId) {
        const open = (): void => this.events.onOpenImage(row.imageId as string, row.frame);
        tr.addEventListener('click', open);
        tr.addEventListener('keydown', (event) => {
          if (event.key === 'Enter') open();
        });
      }
      body.append(tr);
    });
    this.table.append(body);
    if (rows.length === 0) {
      this.table.append(
        h('caption', { text: this.rows.length ? 'No rows match the filter.' : 'No results yet.' }),
      );
    }
  }

  async exportResults(format: 'csv' | 'json'): Promise<void> {
    if (!this.resultsJobId) return;
    try {
      const { savedTo } = await call('screening:export', { jobId: this.resultsJobId, format });
      if (savedTo) this.say(`Saved to ${savedTo}`);
    } catch (error) {
      this.showError(error);
    }
  }

  /** Reports of every scored row into a folder main asks the user for (no path is sent). */
  async exportReports(): Promise<void> {
    if (!this.resultsJobId) return;
    const trigger = this.exportButtons[this.exportButtons.length - 1];
    trigger.disabled = true;
    trigger.textContent = 'Exporting reports…';
    try {
      const text = describeScreeningReportsExport(
        await call('screening:exportReports', { jobId: this.resultsJobId }),
      );
      if (text) this.say(text);
    } catch (error) {
      this.showError(error);
    } finally {
      trigger.textContent = 'Export reports…';
      this.updateButtons();
    }
  }
}
