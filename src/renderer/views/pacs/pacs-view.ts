/**
 * The PACS tab: connections (AE title, IP address, port; "Test" = C-ECHO), a study-level query,
 * retrieve into the running receiver (progress, cancel), and sending the AI results of retrieved
 * studies back with a per-film status (queued / sending / sent / failed with the PACS's reason).
 * Nothing is contacted until a button here is pressed.
 */
import type {
  OutboxEntry,
  PacsConnection,
  PacsStudy,
  PacsStudyQuery,
  RetrieveProgress,
} from '../../../shared/pacs';
import { AE_TITLE_PATTERN, PACS_CONNECTION_ID_PATTERN } from '../../../shared/pacs';
import { button, clear, h } from '../../base/dom';
import { call, errorInfoOf } from '../../base/ipc';
import { describeError } from '../../base/error-messages';

export interface PacsViewEvents {
  /** Retrieved films joined the study list. */
  onLibraryChanged: () => void;
}

function input(type: string, value: string, label: string, testId: string): HTMLInputElement {
  return h('input', { attrs: { type, value, 'aria-label': label, 'data-testid': testId } });
}

/** A button the e2e test can name. */
function testButton(testId: string, ...args: Parameters<typeof button>): HTMLButtonElement {
  const element = button(...args);
  element.dataset.testid = testId;
  return element;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** "2026-11-03" (a date input) -> "20261103"; empty stays empty. */
function dicomDate(value: string): string | undefined {
  return value ? value.replaceAll('-', '') : undefined;
}

export function describeOutboxState(entry: OutboxEntry): string {
  switch (entry.state) {
    case 'queued':
      return 'Queued';
    case 'sending':
      return 'Sending…';
    case 'sent':
      return entry.attempts > 1 ? `Sent (after ${entry.attempts} attempts)` : 'Sent';
    case 'failed':
      return `Failed: ${entry.lastError ?? 'not sent'}${entry.attempts > 0 ? ' (kept; will be retried)' : ''}`;
  }
}

export class PacsView {
  readonly root: HTMLElement;
  private readonly connectionSelect = h('select', {
    attrs: { 'aria-label': 'PACS connection', 'data-testid': 'pacs-connection' },
  });
  private readonly name = input('text', 'Radiology PACS', 'Connection name', 'pacs-name');
  private readonly aeTitle = input('text', 'ORTHANC', 'PACS AE title', 'pacs-ae');
  private readonly host = input('text', '127.0.0.1', 'PACS host (IP address)', 'pacs-host');
  private readonly port = input('number', '4242', 'PACS port', 'pacs-port');
  private readonly callingAe = input('text', 'COVIDNET', 'Our AE title', 'pacs-calling-ae');
  private readonly connectionStatus = h('p', {
    className: 'pacs-status',
    attrs: { role: 'status', 'data-testid': 'pacs-connection-status' },
  });
  private readonly patientName = input('text', '', 'Patient name', 'pacs-q-name');
  private readonly patientId = input('text', '', 'Patient ID', 'pacs-q-id');
  private readonly accession = input('text', '', 'Accession number', 'pacs-q-accession');
  private readonly dateFrom = input('date', '', 'Study date from', 'pacs-q-from');
  private readonly dateTo = input('date', '', 'Study date to', 'pacs-q-to');
  private readonly cr = input('checkbox', '', 'CR', 'pacs-q-cr');
  private readonly dx = input('checkbox', '', 'DX', 'pacs-q-dx');
  private readonly studyRows = h('tbody', { attrs: { 'data-testid': 'pacs-studies' } });
  private readonly retrieveStatus = h('p', {
    className: 'pacs-status',
    attrs: { role: 'status', 'data-testid': 'pacs-retrieve-status' },
  });
  private readonly heatmap = input('checkbox', '', 'Also send the heatmap image', 'pacs-heatmap');
  private readonly pdf = input('checkbox', '', 'Also send the PDF report', 'pacs-pdf');
  private readonly outboxRows = h('tbody', { attrs: { 'data-testid': 'pacs-outbox' } });
  private readonly sendStatus = h('p', {
    className: 'pacs-status',
    attrs: { role: 'status', 'data-testid': 'pacs-send-status' },
  });
  private readonly cancelButton: HTMLButtonElement;
  private connections: PacsConnection[] = [];
  private studies: PacsStudy[] = [];
  private readonly selected = new Set<string>();
  private readonly retrieved = new Set<string>();
  private activeRetrieve: string | null = null;
  private readonly outbox = new Map<string, OutboxEntry>();

  constructor(private readonly events: PacsViewEvents) {
    this.cr.checked = true;
    this.dx.checked = true;
    const field = (label: string, control: HTMLElement) =>
      h('label', { className: 'pacs-field' }, [label, control]);
    this.connectionSelect.addEventListener('change', () => this.fillForm());
    this.cancelButton = button('Cancel retrieve', () => void this.cancelRetrieve(), {
      className: 'btn',
    });
    this.cancelButton.disabled = true;
    this.root = h('section', { className: 'pacs-view', attrs: { 'data-testid': 'pacs-view' } }, [
      h('h2', { text: 'PACS connections' }),
      h('p', {
        className: 'pacs-help',
        text:
          'The PACS you enter here is contacted only when you press Test, Search, Retrieve or ' +
          'Send. Retrieved studies are sent to this workstation\u2019s DICOM receiver (Inbox ' +
          'tab): start it first, and let the PACS know its AE title, this computer and its port.',
      }),
      h('div', { className: 'pacs-settings' }, [
        field('Connection', this.connectionSelect),
        field('Name', this.name),
        field('AE title', this.aeTitle),
        field('Host (IP address)', this.host),
        field('Port', this.port),
        field('Our AE title', this.callingAe),
        testButton('pacs-save', 'Save connection', () => void this.saveConnection(), {
          className: 'btn primary',
        }),
        testButton('pacs-test', 'Test', () => void this.testConnection(), {
          title: 'C-ECHO the PACS',
        }),
        button('Remove', () => void this.removeConnection()),
      ]),
      this.connectionStatus,
      h('h2', { text: 'Find studies' }),
      h('div', { className: 'pacs-query' }, [
        field('Patient name', this.patientName),
        field('Patient ID', this.patientId),
        field('Accession', this.accession),
        field('From', this.dateFrom),
        field('To', this.dateTo),
        field('CR', this.cr),
        field('DX', this.dx),
        testButton('pacs-search', 'Search', () => void this.search(), { className: 'btn primary' }),
      ]),
      h('table', { className: 'pacs-studies' }, [
        h('thead', {}, [
          h('tr', {}, [
            h('th', { text: '' }),
            h('th', { text: 'Date' }),
            h('th', { text: 'Patient' }),
            h('th', { text: 'Patient ID' }),
            h('th', { text: 'Accession' }),
            h('th', { text: 'Modality' }),
            h('th', { text: 'Images' }),
            h('th', { text: 'Result' }),
          ]),
        ]),
        this.studyRows,
      ]),
      h('div', { className: 'pacs-actions' }, [
        testButton('pacs-retrieve', 'Retrieve selected', () => void this.retrieve(), {
          className: 'btn primary',
        }),
        this.cancelButton,
      ]),
      this.retrieveStatus,
      h('h2', { text: 'Send AI results to the PACS' }),
      h('div', { className: 'pacs-actions' }, [
        field('Heatmap image', this.heatmap),
        field('PDF report', this.pdf),
        button('Send results of retrieved studies', () => void this.sendResults(), {
          className: 'btn primary',
        }),
        button('Retry queued', () => void this.retry()),
      ]),
      this.sendStatus,
      h('table', { className: 'pacs-outbox' }, [
        h('thead', {}, [
          h('tr', {}, [
            h('th', { text: 'Study' }),
            h('th', { text: 'Sent to' }),
            h('th', { text: 'Objects' }),
            h('th', { text: 'Status' }),
          ]),
        ]),
        this.outboxRows,
      ]),
    ]);
    window.api.on('pacs:retrieveProgress', (progress) => this.onRetrieveProgress(progress));
    window.api.on('pacs:outboxChanged', (entry) => {
      this.outbox.set(entry.entryId, entry);
      this.renderOutbox();
    });
  }

  activate(): void {
    void this.loadConnections();
    void call('pacs:outbox', {}).then((entries) => {
      this.outbox.clear();
      for (const entry of entries) this.outbox.set(entry.entryId, entry);
      this.renderOutbox();
    });
  }

  private current(): PacsConnection | null {
    return this.connections.find((c) => c.id === this.connectionSelect.value) ?? null;
  }

  private async loadConnections(selectId?: string): Promise<void> {
    try {
      this.showConnections(await call('pacs:listConnections', {}), selectId);
    } catch (error) {
      this.connectionStatus.textContent = describeError(errorInfoOf(error)).sentence;
    }
  }

  private showConnections(connections: PacsConnection[], selectId?: string): void {
    const keep = selectId ?? this.connectionSelect.value;
    this.connections = connections;
    clear(this.connectionSelect);
    this.connectionSelect.append(h('option', { text: 'New connection…', attrs: { value: '' } }));
    for (const c of connections)
      this.connectionSelect.append(
        h('option', {
          text: `${c.name} (${c.aeTitle}@${c.host}:${c.port})`,
          attrs: { value: c.id },
        }),
      );
    this.connectionSelect.value = connections.some((c) => c.id === keep)
      ? keep
      : (connections[0]?.id ?? '');
    this.fillForm();
  }

  private fillForm(): void {
    const c = this.current();
    if (!c) return;
    this.name.value = c.name;
    this.aeTitle.value = c.aeTitle;
    this.host.value = c.host;
    this.port.value = String(c.port);
    this.callingAe.value = c.callingAeTitle;
  }

  /** The form as a connection, or what is wrong with it (checked again, strictly, in main). */
  private formConnection(): PacsConnection | string {
    const name = this.name.value.trim();
    if (!name) return 'Give the connection a name.';
    const aeTitle = this.aeTitle.value.trim();
    if (!AE_TITLE_PATTERN.test(aeTitle)) return 'PACS AE title: 1-16 characters, no backslash.';
    const host = this.host.value.trim();
    if (!IPV4.test(host) && !host.includes(':'))
      return 'Host: an IP address such as 127.0.0.1 (names are not looked up).';
    const port = Number(this.port.value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return 'Port must be 1-65535.';
    const callingAeTitle = this.callingAe.value.trim();
    if (!AE_TITLE_PATTERN.test(callingAeTitle)) return 'Our AE title: 1-16 characters.';
    const existing = this.current();
    const id =
      existing?.id ?? `${name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40)}-${Date.now() % 1e6}`;
    if (!PACS_CONNECTION_ID_PATTERN.test(id)) return 'Name: use letters and digits.';
    return { id, name, aeTitle, host, port, callingAeTitle };
  }

  private async saveConnection(): Promise<void> {
    const connection = this.formConnection();
    if (typeof connection === 'string') {
      this.connectionStatus.textContent = connection;
      return;
    }
    try {
      this.showConnections(await call('pacs:saveConnection', connection), connection.id);
      this.connectionStatus.textContent = `Saved ${connection.name}.`;
    } catch (error) {
      this.connectionStatus.textContent = describeError(errorInfoOf(error)).sentence;
    }
  }

  private async removeConnection(): Promise<void> {
    const c = this.current();
    if (!c) return;
    this.showConnections(await call('pacs:removeConnection', { id: c.id }));
    this.connectionStatus.textContent = `Removed ${c.name}.`;
  }

  private requireConnection(status: HTMLElement): PacsConnection | null {
    const c = this.current();
    if (!c) status.textContent = 'Save a PACS connection first.';
    return c;
  }

  private async testConnection(): Promise<void> {
    const c = this.requireConnection(this.connectionStatus);
    if (!c) return;
    this.connectionStatus.textContent = `Testing ${c.name}…`;
    const result = await call('pacs:echo', { connectionId: c.id });
    this.connectionStatus.textContent = result.ok
      ? `${c.name} answered (C-ECHO) in ${Math.round(result.milliseconds)} ms.`
      : `${c.name} did not answer: ${result.error?.message ?? 'unknown error'}`;
  }

  private query(): PacsStudyQuery | string {
    const modalities = [this.cr.checked ? 'CR' : null, this.dx.checked ? 'DX' : null].filter(
      (m): m is 'CR' | 'DX' => m !== null,
    );
    if (modalities.length === 0) return 'Tick CR, DX or both.';
    return {
      patientName: this.patientName.value.trim() || undefined,
      patientId: this.patientId.value.trim() || undefined,
      accessionNumber: this.accession.value.trim() || undefined,
      studyDateFrom: dicomDate(this.dateFrom.value),
      studyDateTo: dicomDate(this.dateTo.value),
      modalities,
    };
  }

  private async search(): Promise<void> {
    const c = this.requireConnection(this.retrieveStatus);
    if (!c) return;
    const query = this.query();
    if (typeof query === 'string') {
      this.retrieveStatus.textContent = query;
      return;
    }
    try {
      this.retrieveStatus.textContent = `Searching ${c.name}…`;
      this.studies = await call('pacs:query', { connectionId: c.id, query });
      this.selected.clear();
      this.renderStudies();
      this.retrieveStatus.textContent = `${this.studies.length} studies found.`;
    } catch (error) {
      this.retrieveStatus.textContent = describeError(errorInfoOf(error)).sentence;
      const info = errorInfoOf(error);
      if (info.code === 'PACS_ERROR') this.retrieveStatus.textContent += ` ${info.message}`;
    }
  }

  private renderStudies(): void {
    clear(this.studyRows);
    for (const study of this.studies) {
      const box = h('input', {
        attrs: { type: 'checkbox', 'aria-label': `Select ${study.patientName}` },
      });
      box.checked = this.selected.has(study.studyInstanceUid);
      box.addEventListener('change', () => {
        if (box.checked) this.selected.add(study.studyInstanceUid);
        else this.selected.delete(study.studyInstanceUid);
      });
      const sent = [...this.outbox.values()].filter(
        (e) => e.studyInstanceUid === study.studyInstanceUid,
      );
      this.studyRows.append(
        h('tr', { attrs: { 'data-study-uid': study.studyInstanceUid } }, [
          h('td', {}, [box]),
          h('td', { text: study.studyDate }),
          h('td', { text: study.patientName.replaceAll('^', ' ') }),
          h('td', { text: study.patientId }),
          h('td', { text: study.accessionNumber }),
          h('td', { text: study.modalitiesInStudy.join(', ') }),
          h('td', {
            text: study.numberOfInstances === null ? '' : String(study.numberOfInstances),
          }),
          h('td', {
            text: sent.length
              ? sent.map(describeOutboxState).join('; ')
              : this.retrieved.has(study.studyInstanceUid)
                ? 'Retrieved'
                : '',
          }),
        ]),
      );
    }
  }

  private async retrieve(): Promise<void> {
    const c = this.requireConnection(this.retrieveStatus);
    if (!c) return;
    const studyInstanceUids = [...this.selected];
    if (studyInstanceUids.length === 0) {
      this.retrieveStatus.textContent = 'Tick the studies to retrieve.';
      return;
    }
    try {
      const { retrieveId } = await call('pacs:retrieve', { connectionId: c.id, studyInstanceUids });
      this.activeRetrieve = retrieveId;
      this.cancelButton.disabled = false;
    } catch (error) {
      this.retrieveStatus.textContent = describeError(errorInfoOf(error)).sentence;
      this.retrieveStatus.textContent += ` ${errorInfoOf(error).message}`;
    }
  }

  private async cancelRetrieve(): Promise<void> {
    if (this.activeRetrieve) await call('pacs:cancelRetrieve', { retrieveId: this.activeRetrieve });
  }

  private onRetrieveProgress(progress: RetrieveProgress): void {
    for (const uid of progress.retrievedStudyUids) this.retrieved.add(uid);
    const mb = (progress.bytes / 1e6).toFixed(1);
    const counts = `${progress.studiesDone}/${progress.studies} studies, ${progress.completed} images (${mb} MB)`;
    this.retrieveStatus.textContent =
      progress.state === 'running'
        ? `Retrieving… ${counts}${progress.remaining ? `, ${progress.remaining} images to go in this study` : ''}`
        : progress.state === 'done'
          ? `Retrieved ${counts}. They are in the study list and screened in the Inbox.`
          : progress.state === 'cancelled'
            ? `Retrieve cancelled after ${counts}.`
            : `Retrieve failed after ${counts}: ${progress.error?.message ?? ''}`;
    if (progress.state !== 'running') {
      this.activeRetrieve = null;
      this.cancelButton.disabled = true;
      this.events.onLibraryChanged();
    }
    this.renderStudies();
  }

  private async sendResults(): Promise<void> {
    const c = this.requireConnection(this.sendStatus);
    if (!c) return;
    const studyInstanceUids = [...this.retrieved];
    if (studyInstanceUids.length === 0) {
      this.sendStatus.textContent = 'Retrieve studies first: their results are what is sent.';
      return;
    }
    this.sendStatus.textContent = `Scoring and sending ${studyInstanceUids.length} studies…`;
    try {
      const entries = await call('pacs:sendResults', {
        connectionId: c.id,
        studyInstanceUids,
        heatmap: this.heatmap.checked,
        pdf: this.pdf.checked,
      });
      for (const entry of entries) this.outbox.set(entry.entryId, entry);
      const sent = entries.filter((e) => e.state === 'sent').length;
      this.sendStatus.textContent = `${sent} of ${entries.length} results sent to ${c.name}.`;
      this.renderOutbox();
    } catch (error) {
      this.sendStatus.textContent = `${describeError(errorInfoOf(error)).sentence} ${errorInfoOf(error).message}`;
    }
  }

  private async retry(): Promise<void> {
    const entries = await call('pacs:retrySend', {});
    for (const entry of entries) this.outbox.set(entry.entryId, entry);
    this.sendStatus.textContent = entries.length
      ? `${entries.filter((e) => e.state === 'sent').length} of ${entries.length} queued results sent.`
      : 'Nothing is queued.';
    this.renderOutbox();
  }

  private renderOutbox(): void {
    clear(this.outboxRows);
    const patientOf = new Map(this.studies.map((s) => [s.studyInstanceUid, s.patientName]));
    for (const entry of [...this.outbox.values()].sort((a, b) =>
      b.updatedAt.localeCompare(a.updatedAt),
    ))
      this.outboxRows.append(
        h('tr', { attrs: { 'data-state': entry.state } }, [
          h('td', {
            text: (patientOf.get(entry.studyInstanceUid) ?? entry.studyInstanceUid).replaceAll(
              '^',
              ' ',
            ),
          }),
          h('td', { text: entry.destination }),
          h('td', { text: entry.kinds.join(', ') }),
          h('td', { text: describeOutboxState(entry) }),
        ]),
      );
    this.renderStudies();
  }
}
