/** Puts the workstation together: top bar, study list, viewer, panels, screening, shortcuts. */
import { heatmapFor, type FilmAnalysis } from '../../shared/analysis';
import type { MenuCommand } from '../../shared/ipc/channels';
import type { LibrarySnapshot } from '../../shared/library';
import { ModelPanel } from '../panels/model-panel';
import { PredictionPanel } from '../panels/prediction-panel';
import { describeError } from '../panels/error-messages';
import { modalityCaution } from '../panels/prediction-format';
import { ALL_REPORT_KINDS, describeReportExport } from '../panels/report-export-messages';
import { InboxView } from '../inbox/inbox-view';
import { PacsView } from '../pacs/pacs-view';
import { ScreeningView } from '../screening/screening-view';
import { ReaderReadingPanel } from '../readings/reader-reading-panel';
import { ValidationView } from '../validation/validation-view';
import { PRESETS, type PresetId } from '../viewer/presets';
import { Viewer } from '../viewer/viewer';
import type { LoadedViewerImage } from '../viewer/image-loader';
import { neighbourImage, openableImages } from '../worklist/library-view-model';
import { StudyList } from '../worklist/study-list';
import { button, h } from './dom';
import { createHelpOverlay } from './help-overlay';
import { call, errorInfoOf } from './ipc';
import { commandForKey, type CommandId } from './shortcuts';
import { RESEARCH_NOTICE } from '../../shared/notice';

export class WorkstationApp {
  private readonly viewer: Viewer;
  private readonly studyList: StudyList;
  private readonly predictionPanel: PredictionPanel;
  private readonly modelPanel: ModelPanel;
  private readonly screening: ScreeningView;
  private readonly inbox: InboxView;
  private readonly pacs: PacsView;
  private readonly readingPanel: ReaderReadingPanel;
  private readonly validation: ValidationView;
  /** Id of the loaded model (stored with a reader's reading beside the AI opinion). */
  private modelId: string | null = null;
  private readonly help: HTMLDialogElement;
  private readonly toast: HTMLElement;
  private readonly frameLabel: HTMLElement;
  private readonly viewerMode: HTMLElement;
  private readonly tabs: Record<
    'viewer' | 'screening' | 'inbox' | 'pacs' | 'validation',
    HTMLButtonElement
  >;
  private readonly notice: HTMLElement;
  private library: LibrarySnapshot = { patients: [], problems: [] };
  private predictionSequence = 0;
  private heatmapLabel: string | undefined;
  /** The analysis of the film on screen (every class's heatmap included). */
  private analysis: FilmAnalysis | null = null;
  /** The image the lung outline was last switched on by default for. */
  private lungsShownFor: string | null = null;
  private aboutText = 'COVID-Net CXR Workstation.';

  constructor(private readonly root: HTMLElement) {
    this.viewer = new Viewer({
      onImageShown: (image) => this.onImageShown(image),
      onFrameShown: (image) => this.onFrameShown(image),
      onLoadError: (error) => this.showToast(describeError(errorInfoOf(error)).sentence, true),
    });
    this.studyList = new StudyList({
      onOpenFiles: () => void this.openFromDialog('files'),
      onOpenFolder: () => void this.openFromDialog('folder'),
      onSelect: (image) => void this.openImage(image.imageId, 0),
    });
    this.predictionPanel = new PredictionPanel({
      onHeatmapVisible: (visible) => this.setHeatmapVisible(visible),
      onLungsVisible: (visible) => this.setLungsVisible(visible),
      onHeatmapOpacity: (opacity) => this.viewer.setHeatmapOpacity(opacity),
      // Every class's map came with the analysis: switching shows another, nothing is re-run.
      onHeatmapLabel: (label) => this.showHeatmapOf(label),
      onRetry: () => void this.predict(),
      onExportReport: () => void this.exportReport(),
    });
    this.modelPanel = new ModelPanel();
    this.screening = new ScreeningView({
      onOpenImage: (imageId, frame) => {
        this.showMode('viewer');
        void this.openImage(imageId, frame);
      },
    });
    this.inbox = new InboxView({
      onOpenImage: (imageId, frame) => {
        this.showMode('viewer');
        void this.openImage(imageId, frame);
      },
    });
    this.readingPanel = new ReaderReadingPanel();
    this.pacs = new PacsView({
      onLibraryChanged: () =>
        void call('library:list', {}).then((snapshot) => this.showLibrary(snapshot)),
    });
    this.validation = new ValidationView({
      // A site profile switched on or off changes the verdict: ask the model again.
      onProfileChanged: () => void this.predict(),
    });
    this.help = createHelpOverlay();
    this.toast = h('div', { className: 'toast', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.frameLabel = h('span', {
      className: 'frame-label',
      attrs: { 'data-testid': 'frame-label' },
    });
    this.notice = h('div', {
      className: 'research-notice',
      text: RESEARCH_NOTICE,
      attrs: { role: 'note', 'data-testid': 'research-notice' },
    });

    this.tabs = {
      viewer: button('Viewer', () => this.showMode('viewer'), { className: 'tab', shortcut: 'V' }),
      screening: button('Screening', () => this.showMode('screening'), {
        className: 'tab',
        shortcut: 'S',
      }),
      inbox: button('Inbox', () => this.showMode('inbox'), { className: 'tab' }),
      pacs: button('PACS', () => this.showMode('pacs'), { className: 'tab' }),
      validation: button('Validate on our films', () => this.showMode('validation'), {
        className: 'tab',
        title: 'How the model does on your own labelled films; site profiles',
      }),
    };
    const header = h('header', { className: 'topbar' }, [
      h('div', { className: 'brand', text: 'COVID-Net CXR Workstation' }),
      h('nav', { className: 'tabs', attrs: { 'aria-label': 'Views' } }, [
        this.tabs.viewer,
        this.tabs.screening,
        this.tabs.inbox,
        this.tabs.pacs,
        this.tabs.validation,
      ]),
      this.notice,
      button('?', () => this.runCommand('help'), {
        className: 'btn icon',
        title: 'Keyboard shortcuts',
        shortcut: '?',
        ariaLabel: 'Keyboard shortcuts',
      }),
    ]);

    const presetButtons = PRESETS.map((preset) =>
      button(preset.label, () => this.viewer.applyPreset(preset.id), {
        title: `${preset.label} window: ${preset.description}`,
        shortcut: preset.key,
        className: 'btn preset',
      }),
    );
    presetButtons.forEach((b, index) => (b.dataset.preset = PRESETS[index].id));
    const viewerToolbar = h(
      'div',
      {
        className: 'toolbar viewer-toolbar',
        attrs: { role: 'toolbar', 'aria-label': 'Image tools' },
      },
      [
        button('Fit', () => this.viewer.fit(), { shortcut: 'F', title: 'Fit to window' }),
        button('1:1', () => this.viewer.oneToOne(), { shortcut: 'A', title: 'Actual size' }),
        button('Reset', () => this.viewer.reset(), { shortcut: 'R', title: 'Reset view' }),
        button('Invert', () => this.viewer.toggleInvert(), {
          shortcut: 'I',
          title: 'Invert grey scale',
        }),
        h('span', { className: 'separator' }),
        ...presetButtons,
        h('span', { className: 'separator' }),
        button('◀', () => this.viewer.stepFrame(-1), {
          title: 'Previous frame',
          shortcut: 'PageUp',
          ariaLabel: 'Previous frame',
        }),
        this.frameLabel,
        button('▶', () => this.viewer.stepFrame(1), {
          title: 'Next frame',
          shortcut: 'PageDown',
          ariaLabel: 'Next frame',
        }),
        h('span', { className: 'separator' }),
        button('Heatmap', () => this.runCommand('toggleHeatmap'), {
          shortcut: 'H',
          title: 'Show or hide the heatmap',
          className: 'btn heatmap-button',
        }),
        button('Lungs', () => this.runCommand('toggleLungs'), {
          shortcut: 'L',
          title: 'Show or hide the lung outline',
          className: 'btn lungs-button',
        }),
      ],
    );
    this.viewerMode = h('main', { className: 'workspace', attrs: { 'data-mode': 'viewer' } }, [
      this.studyList.root,
      h('section', { className: 'viewer-column', attrs: { 'aria-label': 'Viewer' } }, [
        viewerToolbar,
        this.viewer.root,
      ]),
      h('aside', { className: 'side-column' }, [
        this.predictionPanel.root,
        this.readingPanel.root,
        this.modelPanel.root,
      ]),
    ]);
    this.screening.root.hidden = true;
    this.inbox.root.hidden = true;
    this.pacs.root.hidden = true;
    this.validation.root.hidden = true;
    root.append(
      header,
      this.viewerMode,
      this.screening.root,
      this.inbox.root,
      this.pacs.root,
      this.validation.root,
      this.help,
      this.toast,
    );
    this.installKeyboard();
    this.installDrop();
    window.api.on('app:menuCommand', ({ command }) => this.onMenuCommand(command));
    this.showMode('viewer');
    this.updateFrameLabel(null);
  }

  async start(): Promise<void> {
    try {
      const info = await call('app:getInfo', {});
      if (info.researchNotice) this.notice.textContent = info.researchNotice;
      this.aboutText = `${info.appName} ${info.appVersion} (${info.platform}).`;
      this.modelId = info.model?.id ?? null;
      if (info.model) this.modelPanel.show(info.model);
      else if (info.modelError) this.modelPanel.showError(info.modelError);
    } catch (error) {
      this.modelPanel.showError(errorInfoOf(error));
    }
    try {
      this.showLibrary(await call('library:list', {}));
    } catch (error) {
      this.showToast(describeError(errorInfoOf(error)).sentence, true);
    }
    await this.openLaunchFiles();
  }

  /** Adds the files the app was launched with (or asked to open since) and shows the first. */
  private async openLaunchFiles(): Promise<void> {
    const before = this.currentIds();
    try {
      const { snapshot, added } = await call('library:openLaunchFiles', {});
      if (added === 0) return;
      this.showLibrary(snapshot);
      this.showMode('viewer');
      const first = openableImages(snapshot).find((image) => !before.has(image.imageId));
      if (first) await this.openImage(first.imageId, 0);
    } catch (error) {
      this.showToast(describeError(errorInfoOf(error)).sentence, true);
    }
  }

  /** The application menu's items arrive here (same actions as the buttons and shortcuts). */
  private onMenuCommand(command: MenuCommand): void {
    switch (command) {
      case 'open-files':
        this.runCommand('openFiles');
        return;
      case 'open-folder':
        this.runCommand('openFolder');
        return;
      case 'screen-folder':
        this.showMode('screening');
        void this.screening.pickFolder();
        return;
      case 'show-model-card':
        void this.modelPanel.openCard();
        return;
      case 'open-launch-files':
        void this.openLaunchFiles();
        return;
      case 'show-about':
        this.showToast(`${this.aboutText} ${this.notice.textContent ?? ''}`);
        return;
    }
  }

  private showMode(mode: 'viewer' | 'screening' | 'inbox' | 'pacs' | 'validation'): void {
    this.viewerMode.hidden = mode !== 'viewer';
    this.screening.root.hidden = mode !== 'screening';
    this.inbox.root.hidden = mode !== 'inbox';
    this.pacs.root.hidden = mode !== 'pacs';
    this.validation.root.hidden = mode !== 'validation';
    this.root.dataset.mode = mode;
    for (const [name, tab] of Object.entries(this.tabs)) {
      tab.classList.toggle('active', name === mode);
      tab.setAttribute('aria-pressed', String(name === mode));
    }
    if (mode === 'screening') this.screening.activate();
    if (mode === 'inbox') this.inbox.activate();
    if (mode === 'pacs') this.pacs.activate();
    if (mode === 'validation') this.validation.activate();
  }

  private showToast(text: string, isError = false): void {
    this.toast.textContent = text;
    this.toast.classList.toggle('error', isError);
    this.toast.classList.add('visible');
    window.setTimeout(() => this.toast.classList.remove('visible'), 6000);
  }

  private showLibrary(snapshot: LibrarySnapshot): void {
    this.library = snapshot;
    this.studyList.show(snapshot);
  }

  /** Shows the new library and opens its first image when nothing is on screen yet. */
  private afterLibraryChange(snapshot: LibrarySnapshot, before: Set<string>): void {
    this.showLibrary(snapshot);
    if (this.viewer.image) return;
    const added = openableImages(snapshot).find((image) => !before.has(image.imageId));
    if (added) void this.openImage(added.imageId, 0);
  }

  private currentIds(): Set<string> {
    return new Set(openableImages(this.library).map((image) => image.imageId));
  }

  private async openFromDialog(kind: 'files' | 'folder'): Promise<void> {
    const before = this.currentIds();
    this.studyList.setBusy(true);
    try {
      this.afterLibraryChange(await call('library:open', { kind }), before);
    } catch (error) {
      this.showToast(describeError(errorInfoOf(error)).sentence, true);
    } finally {
      this.studyList.setBusy(false);
      this.studyList.show(this.library);
    }
  }

  private installDrop(): void {
    const target = document.body;
    target.addEventListener('dragover', (event) => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      target.classList.add('dropping');
    });
    target.addEventListener('dragleave', (event) => {
      if (event.relatedTarget === null) target.classList.remove('dropping');
    });
    target.addEventListener('drop', (event) => {
      event.preventDefault();
      target.classList.remove('dropping');
      const files = Array.from(event.dataTransfer?.files ?? []);
      if (files.length === 0) return;
      const paths = window.api.pathsForDroppedFiles(files);
      if (paths.length === 0) return;
      void this.addDropped(paths);
    });
  }

  private async addDropped(paths: string[]): Promise<void> {
    const before = this.currentIds();
    this.studyList.setBusy(true);
    try {
      this.afterLibraryChange(await call('library:addDropped', { paths }), before);
    } catch (error) {
      this.showToast(describeError(errorInfoOf(error)).sentence, true);
    } finally {
      this.studyList.setBusy(false);
      this.studyList.show(this.library);
    }
  }

  private async openImage(imageId: string, frame: number): Promise<void> {
    this.studyList.select(imageId);
    await this.viewer.open(imageId, frame);
  }

  private onImageShown(image: LoadedViewerImage): void {
    this.studyList.select(image.libraryImageId);
    this.heatmapLabel = undefined;
    this.readingPanel.showImage(image.libraryImageId);
    this.updateFrameLabel(image);
    this.viewer.focus();
    void this.predict();
  }

  private onFrameShown(image: LoadedViewerImage): void {
    this.updateFrameLabel(image);
    void this.predict();
  }

  private updateFrameLabel(image: LoadedViewerImage | null): void {
    this.frameLabel.textContent = image
      ? `${image.frameIndex + 1} / ${image.metadata.numberOfFrames}`
      : '– / –';
  }

  private showHeatmapOf(label: string): void {
    this.heatmapLabel = label;
    const analysis = this.analysis;
    if (analysis?.status !== 'scored') return;
    this.predictionPanel.showHeatmapChoice(analysis, label);
    this.viewer.setHeatmap(heatmapFor(analysis, label) ?? null);
  }

  /** Asks the model about the image on screen; stale answers (image changed since) are dropped. */
  private async predict(): Promise<void> {
    const image = this.viewer.image;
    if (!image) return;
    const sequence = ++this.predictionSequence;
    this.predictionPanel.showRunning();
    try {
      const request = {
        imageId: image.libraryImageId,
        frame: image.frameIndex,
        heatmap: true,
      };
      const result = await call('model:predict', request);
      if (sequence !== this.predictionSequence) return;
      // A film the chest gate turned away has no score and no heatmap; the viewer keeps it.
      const scored = result.status === 'scored';
      this.analysis = result;
      this.predictionPanel.showResult(
        result,
        scored ? modalityCaution(image.metadata.sourceKind, image.metadata.modality) : null,
        this.heatmapLabel,
      );
      this.readingPanel.showAiResult(result, this.modelId);
      this.viewer.setHeatmap(heatmapFor(result, this.heatmapLabel) ?? null);
      this.viewer.setLungs(result.lungs ?? null);
      if (!this.viewer.hasLungs) this.setLungsVisible(false);
      else if (this.viewer.image?.libraryImageId !== this.lungsShownFor) {
        // On by default for each new image with lungs; a choice made with L holds for its frames.
        this.lungsShownFor = this.viewer.image?.libraryImageId ?? null;
        this.setLungsVisible(true);
      }
    } catch (error) {
      if (sequence !== this.predictionSequence) return;
      this.analysis = null;
      this.readingPanel.showAiResult(null, this.modelId);
      this.viewer.setHeatmap(null);
      this.viewer.setLungs(null);
      this.setLungsVisible(false);
      this.predictionPanel.showError(errorInfoOf(error));
    }
  }

  private setLungsVisible(visible: boolean): void {
    this.viewer.setLungsVisible(visible);
    this.predictionPanel.setLungsVisible(visible);
    this.root.classList.toggle('lungs-on', visible);
  }

  /** Reports of the image on screen into a folder main asks the user for (no path is sent). */
  private async exportReport(): Promise<void> {
    const image = this.viewer.image;
    if (!image) return;
    this.predictionPanel.showExportProgress(true);
    try {
      const result = await call('report:export', {
        imageId: image.libraryImageId,
        frame: image.frameIndex,
        kinds: ALL_REPORT_KINDS,
      });
      const text = describeReportExport(result);
      if (text) this.predictionPanel.showExportMessage(text);
    } catch (error) {
      const described = describeError(errorInfoOf(error));
      this.predictionPanel.showExportMessage(`${described.sentence} (${described.detail})`, true);
    } finally {
      this.predictionPanel.showExportProgress(false);
    }
  }

  private setHeatmapVisible(visible: boolean): void {
    this.viewer.setHeatmapVisible(visible);
    this.predictionPanel.setHeatmapVisible(visible);
    this.root.classList.toggle('heatmap-on', visible);
  }

  private installKeyboard(): void {
    document.addEventListener('keydown', (event) => {
      const target = event.target as HTMLElement | null;
      const typing =
        target instanceof HTMLInputElement ||
        target instanceof HTMLSelectElement ||
        target instanceof HTMLTextAreaElement;
      const command = commandForKey(event);
      if (!command) return;
      if (typing && command !== 'closeOverlay' && !event.ctrlKey && !event.metaKey) return;
      // Arrow keys keep their normal meaning on buttons and rows outside the viewer.
      if (event.key.startsWith('Arrow') && target && target.closest('.screening-view')) return;
      event.preventDefault();
      this.runCommand(command);
    });
  }

  private presetFor(command: CommandId): PresetId | null {
    const map: Partial<Record<CommandId, PresetId>> = {
      presetDefault: 'default',
      presetLung: 'lung',
      presetMediastinum: 'mediastinum',
      presetBone: 'bone',
      presetFull: 'full',
    };
    return map[command] ?? null;
  }

  runCommand(command: CommandId): void {
    const preset = this.presetFor(command);
    if (preset) {
      this.viewer.applyPreset(preset);
      return;
    }
    switch (command) {
      case 'openFiles':
        void this.openFromDialog('files');
        return;
      case 'openFolder':
        void this.openFromDialog('folder');
        return;
      case 'fit':
        this.viewer.fit();
        return;
      case 'oneToOne':
        this.viewer.oneToOne();
        return;
      case 'reset':
        this.viewer.reset();
        return;
      case 'invert':
        this.viewer.toggleInvert();
        return;
      case 'zoomIn':
        this.viewer.zoomBy(1.25);
        return;
      case 'zoomOut':
        this.viewer.zoomBy(0.8);
        return;
      case 'toggleHeatmap':
        if (!this.viewer.hasHeatmap) this.showToast('No heatmap for this image yet.');
        this.setHeatmapVisible(!this.viewer.isHeatmapVisible);
        return;
      case 'toggleLungs':
        if (!this.viewer.hasLungs) {
          this.showToast('No lung outline for this image (no lung segmenter ran on it).');
          return;
        }
        this.setLungsVisible(!this.viewer.isLungsVisible);
        return;
      case 'nextFrame':
        this.viewer.stepFrame(1);
        return;
      case 'previousFrame':
        this.viewer.stepFrame(-1);
        return;
      case 'nextImage':
      case 'previousImage': {
        const next = neighbourImage(
          this.library,
          this.viewer.image?.libraryImageId ?? null,
          command === 'nextImage' ? 1 : -1,
        );
        if (next) void this.openImage(next.imageId, 0);
        return;
      }
      case 'showViewer':
        this.showMode('viewer');
        return;
      case 'showScreening':
        this.showMode('screening');
        return;
      case 'help':
        if (this.help.open) this.help.close();
        else this.help.showModal();
        return;
      case 'closeOverlay':
        // Escape is taken by the shortcut handler, so close every open dialog here (help, model card).
        for (const dialog of document.querySelectorAll('dialog')) if (dialog.open) dialog.close();
        return;
      default:
        return;
    }
  }
}
