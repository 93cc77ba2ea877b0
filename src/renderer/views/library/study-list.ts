/**
 * The study list: open buttons, patients > studies > series > images with thumbnails, problems.
 * While files are being added the list refreshes as headers come in, with a Cancel button.
 */
import type { LibraryAddProgress, LibraryImage, LibrarySnapshot } from '../../../shared/library';
import { call } from '../../base/ipc';
import { button, clear, h } from '../../base/dom';
import { describeError } from '../../base/error-messages';
import {
  addProgressText,
  imageSubtitle,
  patientTitle,
  seriesTitle,
  studyTitle,
} from './library-view-model';

const THUMBNAIL_SIZE = 96;
/** Shortest gap between list refreshes while adding (longer when a refresh is slow). */
const MIN_REFRESH_MS = 1000;

export interface StudyListEvents {
  onOpenFiles(): void;
  onOpenFolder(): void;
  onSelect(image: LibraryImage): void;
}

export class StudyList {
  readonly root: HTMLElement;
  private readonly tree: HTMLElement;
  private readonly problems: HTMLElement;
  private readonly status: HTMLElement;
  private readonly thumbnails = new Map<string, HTMLCanvasElement>();
  private readonly observer: IntersectionObserver;
  private selectedImageId: string | null = null;
  private readonly cancelButton: HTMLButtonElement;
  private busy = false;
  private progressText: string | null = null;
  private nextRefreshAt = 0;
  private refreshing = false;

  constructor(private readonly events: StudyListEvents) {
    this.tree = h('div', {
      className: 'study-tree',
      attrs: { role: 'tree', 'aria-label': 'Studies', 'data-testid': 'study-tree' },
    });
    this.problems = h('div', { className: 'problems', attrs: { 'data-testid': 'problems' } });
    this.status = h('div', {
      className: 'list-status muted small',
      attrs: { 'aria-live': 'polite' },
    });
    this.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        this.observer.unobserve(entry.target);
        void this.loadThumbnail(entry.target as HTMLCanvasElement);
      }
    });
    this.cancelButton = button('Cancel', () => void call('library:cancelAdd', {}), {
      title: 'Stop adding files (what is listed so far stays)',
    });
    this.cancelButton.hidden = true;
    this.cancelButton.dataset.testid = 'cancel-add';
    window.api.on('library:progress', (progress) => this.onAddProgress(progress));
    this.root = h(
      'aside',
      { className: 'panel study-list', attrs: { 'aria-label': 'Study list' } },
      [
        h('div', { className: 'toolbar' }, [
          button('Open files…', () => events.onOpenFiles(), {
            title: 'Open DICOM, DICOMDIR, PNG or JPEG files',
            shortcut: 'Ctrl+O',
          }),
          button('Open folder…', () => events.onOpenFolder(), {
            title: 'Open a folder (DICOMDIR inside is used)',
            shortcut: 'Ctrl+Shift+O',
          }),
          this.cancelButton,
        ]),
        this.status,
        this.tree,
        this.problems,
      ],
    );
    this.setStatus('No studies open. Drop files or folders here.');
  }

  setStatus(text: string): void {
    this.status.textContent = text;
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.progressText = null;
    this.nextRefreshAt = performance.now() + MIN_REFRESH_MS;
    this.root.classList.toggle('busy', busy);
    this.cancelButton.hidden = !busy;
    if (busy) this.setStatus('Reading files…');
  }

  /** Shows the counts, and now and then the list so far (the final list comes from show()). */
  private onAddProgress(progress: LibraryAddProgress): void {
    if (!this.busy) return;
    this.progressText = addProgressText(progress);
    this.setStatus(this.progressText);
    if (progress.state !== 'reading' || this.refreshing) return;
    const now = performance.now();
    if (now < this.nextRefreshAt) return;
    this.refreshing = true;
    void call('library:list', {})
      .then((snapshot) => {
        if (!this.busy) return;
        const started = performance.now();
        this.show(snapshot);
        const renderMs = performance.now() - started;
        this.nextRefreshAt = performance.now() + Math.max(MIN_REFRESH_MS, 4 * renderMs);
      })
      .catch(() => undefined)
      .finally(() => (this.refreshing = false));
  }

  select(imageId: string | null): void {
    this.selectedImageId = imageId;
    for (const item of this.tree.querySelectorAll<HTMLElement>('.image-item')) {
      const selected = item.dataset.imageId === imageId;
      item.classList.toggle('selected', selected);
      item.setAttribute('aria-selected', String(selected));
      if (selected) item.scrollIntoView({ block: 'nearest' });
    }
  }

  show(snapshot: LibrarySnapshot): void {
    clear(this.tree);
    this.observer.disconnect();
    let imageCount = 0;
    for (const patient of snapshot.patients) {
      const studies = patient.studies.map((study) => {
        const series = study.series.map((s) => {
          const images = s.images.map((image) => {
            imageCount++;
            return this.imageItem(image);
          });
          return h('div', { className: 'series', attrs: { role: 'group' } }, [
            h('div', { className: 'series-title', text: seriesTitle(s) }),
            ...images,
          ]);
        });
        return h('div', { className: 'study', attrs: { role: 'group' } }, [
          h('div', { className: 'study-title', text: studyTitle(study) }),
          ...series,
        ]);
      });
      this.tree.append(
        h('div', { className: 'patient', attrs: { role: 'treeitem', 'aria-expanded': 'true' } }, [
          h('div', { className: 'patient-title', text: patientTitle(patient) }),
          ...studies,
        ]),
      );
    }
    this.setStatus(
      this.busy && this.progressText
        ? this.progressText
        : imageCount === 0
          ? 'No studies open. Drop files or folders here.'
          : `${imageCount} image${imageCount === 1 ? '' : 's'} in ${snapshot.patients.length} patient${snapshot.patients.length === 1 ? '' : 's'}`,
    );
    clear(this.problems);
    if (snapshot.problems.length) {
      this.problems.append(
        h('h3', { text: `Could not open (${snapshot.problems.length})` }),
        h(
          'ul',
          {},
          snapshot.problems.map((problem) => {
            const described = describeError(problem.error);
            return h(
              'li',
              { title: described.detail, attrs: { 'data-code': problem.error.code } },
              [
                h('span', { className: 'problem-name', text: problem.displayName }),
                h('span', { className: 'problem-sentence', text: described.sentence }),
              ],
            );
          }),
        ),
      );
    }
    this.select(this.selectedImageId);
  }

  private imageItem(image: LibraryImage): HTMLElement {
    if (image.error) {
      const described = describeError(image.error);
      return h(
        'div',
        {
          className: 'image-item failed',
          title: described.detail,
          attrs: { 'data-image-id': image.imageId },
        },
        [
          h('div', { className: 'thumb thumb-failed', text: '!' }),
          h('div', { className: 'image-text' }, [
            h('div', { className: 'image-name', text: image.displayName }),
            h('div', { className: 'problem-sentence', text: described.sentence }),
          ]),
        ],
      );
    }
    let canvas = this.thumbnails.get(image.imageId);
    if (!canvas) {
      canvas = h('canvas', {
        className: 'thumb',
        attrs: {
          width: String(THUMBNAIL_SIZE),
          height: String(THUMBNAIL_SIZE),
          'aria-hidden': 'true',
          'data-image-id': image.imageId,
        },
      });
      this.thumbnails.set(image.imageId, canvas);
    }
    if (!canvas.dataset.loaded) this.observer.observe(canvas);
    const item = h(
      'button',
      {
        className: 'image-item',
        title: image.displayName,
        attrs: {
          type: 'button',
          role: 'treeitem',
          'data-image-id': image.imageId,
          'data-testid': 'study-image',
          'aria-selected': 'false',
        },
        on: { click: () => this.events.onSelect(image) },
      },
      [
        canvas,
        h('div', { className: 'image-text' }, [
          h('div', { className: 'image-name', text: image.displayName }),
          h('div', { className: 'muted small', text: imageSubtitle(image) }),
        ]),
      ],
    );
    return item;
  }

  private async loadThumbnail(canvas: HTMLCanvasElement): Promise<void> {
    const imageId = canvas.dataset.imageId;
    if (!imageId || canvas.dataset.loaded) return;
    canvas.dataset.loaded = 'pending';
    try {
      const thumbnail = await call('image:thumbnail', { imageId, maxSize: THUMBNAIL_SIZE });
      canvas.width = thumbnail.width;
      canvas.height = thumbnail.height;
      const context = canvas.getContext('2d');
      if (!context) return;
      const data = new ImageData(thumbnail.width, thumbnail.height);
      for (let i = 0; i < thumbnail.gray.length; i++) {
        data.data[i * 4] = data.data[i * 4 + 1] = data.data[i * 4 + 2] = thumbnail.gray[i];
        data.data[i * 4 + 3] = 255;
      }
      context.putImageData(data, 0, 0);
      canvas.dataset.loaded = 'true';
    } catch {
      canvas.dataset.loaded = 'failed';
      canvas.classList.add('thumb-failed');
    }
  }
}
