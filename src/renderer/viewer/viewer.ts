/**
 * The image viewport: cornerstone-core display, mouse/keyboard manipulation, corner overlays and
 * the registered heatmap layer. Viewport changes from the mouse are coalesced to one per animation
 * frame, and cornerstone itself paints on the next animation frame.
 */
import cornerstone, { type CornerstoneViewport, type ImageRenderedDetail } from 'cornerstone-core';
import type { HeatmapGrid, LungOutlineGrid } from '../../shared/analysis';
import { h } from '../app/dom';
import { loadViewerImage, type LoadedViewerImage } from './image-loader';
import { heatmapBounds, heatmapOverlayRgba } from './heatmap-colors';
import { hasLungCells, lungOutlineSegments, type OutlineSegment } from '../../shared/lung-outline';
import { paintNow } from './paint-now';
import { sigmoidLuts } from './sigmoid-voi';
import { overlayCorners } from './overlay-text';
import { dragWindow, windowForPreset, type PresetId, type WindowLevel } from './presets';

type DragMode = 'window' | 'pan';

export interface ViewerEvents {
  /** A new image (not just a new frame) is on screen. */
  onImageShown?: (image: LoadedViewerImage) => void;
  onFrameShown?: (image: LoadedViewerImage) => void;
  onLoadError?: (error: unknown) => void;
}

const MIN_SCALE = 0.02;
const MAX_SCALE = 40;
const PIXEL_REPLICATION_SCALE = 4;
/** Cyan: apart from the heatmap's warm colours and from grey film. */
export const LUNG_OUTLINE_COLOR = 'rgb(0, 230, 255)';

export class Viewer {
  readonly root: HTMLElement;
  private readonly element: HTMLElement;
  private readonly corners: Record<
    'topLeft' | 'topRight' | 'bottomLeft' | 'bottomRight',
    HTMLElement
  >;
  private readonly placeholder: HTMLElement;
  private current: LoadedViewerImage | null = null;
  /** The decoder's notes on the frame shown (a file that breaks the standard, read anyway). */
  private readonly decodeNotes: HTMLElement;
  private usingVoiLut = false;
  private drag: {
    mode: DragMode;
    pointerId: number;
    startX: number;
    startY: number;
    lastX: number;
    lastY: number;
    startWindow: WindowLevel;
  } | null = null;
  private heatmap: HeatmapGrid | null = null;
  private heatmapCanvas: HTMLCanvasElement | null = null;
  private heatmapVisible = false;
  private heatmapOpacity = 0.5;
  private lungs: LungOutlineGrid | null = null;
  private lungSegments: OutlineSegment[] = [];
  private lungsVisible = false;
  private renderCount = 0;
  /** True from a paint until the next animation frame starts. */
  private paintedThisFrame = false;
  /** Set when a freshly loaded frame has not been painted yet (for the first-paint timing mark). */
  private awaitingFirstPaint = false;
  /** While true (after open, fit or reset) a resize re-fits the image. */
  private fitted = true;
  private loadSequence = 0;

  constructor(private readonly events: ViewerEvents = {}) {
    this.element = h('div', {
      className: 'viewport-element',
      attrs: {
        tabindex: '0',
        role: 'img',
        'aria-label': 'Image viewport',
        'data-testid': 'viewport',
      },
    });
    this.corners = {
      topLeft: h('div', { className: 'corner corner-tl', attrs: { 'aria-live': 'off' } }),
      topRight: h('div', { className: 'corner corner-tr' }),
      bottomLeft: h('div', {
        className: 'corner corner-bl',
        attrs: { 'data-testid': 'overlay-wl' },
      }),
      bottomRight: h('div', { className: 'corner corner-br' }),
    };
    this.decodeNotes = h('div', {
      className: 'decode-notes',
      title: 'How this frame was decoded: the file does not follow the standard here',
      attrs: { role: 'status', 'data-testid': 'decode-notes' },
    });
    this.decodeNotes.hidden = true;
    this.placeholder = h('div', {
      className: 'viewport-placeholder',
      text: 'Open a study (Ctrl+O) or drop files here',
    });
    this.root = h('div', { className: 'viewport' }, [
      this.element,
      this.corners.topLeft,
      this.corners.topRight,
      this.corners.bottomLeft,
      this.corners.bottomRight,
      this.decodeNotes,
      this.placeholder,
    ]);
    cornerstone.enable(this.element);
    this.element.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, (event) =>
      this.onRendered((event as CustomEvent<ImageRenderedDetail>).detail),
    );
    this.installMouse();
    new ResizeObserver(() => {
      cornerstone.resize(this.element, this.fitted);
    }).observe(this.root);
  }

  get image(): LoadedViewerImage | null {
    return this.current;
  }

  get hasHeatmap(): boolean {
    return this.heatmap !== null;
  }

  get isHeatmapVisible(): boolean {
    return this.heatmapVisible;
  }

  get hasLungs(): boolean {
    return this.lungSegments.length > 0;
  }

  get isLungsVisible(): boolean {
    return this.lungsVisible;
  }

  focus(): void {
    this.element.focus();
  }

  /** Opens frame `frame` of a library image; keeps the viewport when only the frame changes. */
  async open(libraryImageId: string, frame = 0): Promise<void> {
    const sequence = ++this.loadSequence;
    const sameImage = this.current?.libraryImageId === libraryImageId;
    this.root.classList.add('loading');
    this.element.dataset.loading = 'true';
    try {
      const loaded = await loadViewerImage(libraryImageId, frame);
      if (sequence !== this.loadSequence) return;
      this.placeholder.hidden = true;
      this.decodeNotes.textContent = loaded.decodeNotes.join('\n');
      this.decodeNotes.hidden = loaded.decodeNotes.length === 0;
      this.awaitingFirstPaint = true;
      if (sameImage && this.current) {
        const viewport = cornerstone.getViewport(this.element);
        this.current = loaded;
        cornerstone.displayImage(
          this.element,
          loaded.image,
          viewport ? this.withVoiFunction(viewport) : undefined,
        );
        this.events.onFrameShown?.(loaded);
      } else {
        this.current = loaded;
        this.heatmap = null;
        this.heatmapCanvas = null;
        this.lungs = null;
        this.lungSegments = [];
        this.fitted = true;
        cornerstone.displayImage(this.element, loaded.image, this.defaultViewport(loaded));
        this.events.onImageShown?.(loaded);
      }
    } catch (error) {
      if (sequence === this.loadSequence) this.events.onLoadError?.(error);
    } finally {
      if (sequence === this.loadSequence) {
        this.root.classList.remove('loading');
        delete this.element.dataset.loading;
      }
    }
  }

  private defaultViewport(loaded: LoadedViewerImage): CornerstoneViewport {
    const viewport = cornerstone.getDefaultViewportForImage(this.element, loaded.image);
    viewport.voi = {
      windowCenter: loaded.image.windowCenter,
      windowWidth: loaded.image.windowWidth,
    };
    viewport.invert = loaded.image.invert;
    viewport.voiLUT = loaded.image.voiLUT;
    this.usingVoiLut = loaded.image.voiLUT !== undefined && loaded.metadata.windows.length === 0;
    if (!this.usingVoiLut) viewport.voiLUT = undefined;
    return this.withVoiFunction(viewport);
  }

  /**
   * The file's VOI LUT Function applied to the viewport's window: SIGMOID (C.11.2.1.3.1) becomes
   * a table cornerstone can draw (it only knows the linear window); LINEAR stays cornerstone's own.
   * A file VOI LUT table in use, or a colour image, is left alone.
   */
  private withVoiFunction(viewport: CornerstoneViewport): CornerstoneViewport {
    const current = this.current;
    const sigmoid =
      current !== null &&
      current.metadata.voiLutFunction === 'SIGMOID' &&
      !current.image.color &&
      !this.usingVoiLut;
    if (!sigmoid) return viewport.modalityLUT ? { ...viewport, modalityLUT: undefined } : viewport;
    const luts = sigmoidLuts(current.image, viewport.voi.windowCenter, viewport.voi.windowWidth);
    return { ...viewport, voiLUT: luts.voiLUT, modalityLUT: luts.modalityLUT };
  }

  stepFrame(delta: number): void {
    const current = this.current;
    if (!current) return;
    const count = current.metadata.numberOfFrames;
    const next = Math.min(count - 1, Math.max(0, current.frameIndex + delta));
    if (next !== current.frameIndex) void this.open(current.libraryImageId, next);
  }

  fit(): void {
    if (!this.current) return;
    this.fitted = true;
    cornerstone.fitToWindow(this.element);
  }

  oneToOne(): void {
    if (!this.current) return;
    this.fitted = false;
    this.applyViewport({ scale: 1, translation: { x: 0, y: 0 } });
  }

  reset(): void {
    const current = this.current;
    if (!current) return;
    this.fitted = true;
    cornerstone.setViewport(this.element, this.defaultViewport(current));
  }

  zoomBy(factor: number): void {
    const viewport = this.viewportNow();
    if (!viewport) return;
    this.fitted = false;
    this.applyViewport({ scale: clampScale(viewport.scale * factor) });
  }

  toggleInvert(): void {
    const viewport = this.viewportNow();
    if (!viewport) return;
    this.applyViewport({ invert: !viewport.invert });
  }

  applyPreset(id: PresetId): void {
    const current = this.current;
    if (!current) return;
    if (id === 'default' && current.image.voiLUT && current.metadata.windows.length === 0) {
      this.usingVoiLut = true;
      this.applyViewport({ voiLUT: current.image.voiLUT });
      return;
    }
    const window = windowForPreset(id, {
      range: current.range,
      invertedPhotometric: current.invertedPhotometric,
      hounsfield: current.metadata.modality === 'CT' || current.metadata.rescaleType === 'HU',
      fileWindow: current.metadata.windows[0],
    });
    this.setWindow(window);
  }

  setWindow(window: WindowLevel): void {
    if (!this.current) return;
    this.usingVoiLut = false;
    this.applyViewport({
      voi: { windowCenter: window.center, windowWidth: window.width },
      voiLUT: undefined,
    });
  }

  /** Sets (or clears) the heatmap; drawn only while visible. */
  setHeatmap(grid: HeatmapGrid | null): void {
    this.heatmap = grid;
    this.heatmapCanvas = grid ? gridToCanvas(grid, this.lungs) : null;
    this.redraw();
  }

  setHeatmapVisible(visible: boolean): void {
    this.heatmapVisible = visible;
    this.redraw();
  }

  setHeatmapOpacity(opacity: number): void {
    this.heatmapOpacity = Math.min(1, Math.max(0, opacity));
    if (this.heatmapVisible) this.redraw();
  }

  /** Sets (or clears) the segmenter's lung fields; their outline is drawn only while visible. */
  setLungs(grid: LungOutlineGrid | null): void {
    this.lungs = grid;
    this.lungSegments = grid && hasLungCells(grid) ? lungOutlineSegments(grid) : [];
    // The heatmap is tinted only inside the lungs: redrawn with the new fields.
    if (this.heatmap) this.heatmapCanvas = gridToCanvas(this.heatmap, grid);
    this.redraw();
  }

  setLungsVisible(visible: boolean): void {
    this.lungsVisible = visible;
    this.redraw();
  }

  private redraw(): void {
    if (this.current) cornerstone.updateImage(this.element);
  }

  private viewportNow(): CornerstoneViewport | null {
    if (!this.current) return null;
    const viewport = cornerstone.getViewport(this.element);
    if (!viewport) return null;
    return viewport;
  }

  /**
   * Applies a viewport change. cornerstone marks the element dirty and paints it in its own
   * requestAnimationFrame loop. For mouse-driven changes (`paintNowIfIdle`) the first change in an
   * animation frame is painted at once, instead of waiting up to a frame; later ones in the same
   * frame are left to that loop, so there is still at most one extra paint per frame.
   */
  private applyViewport(change: Partial<CornerstoneViewport>, paintNowIfIdle = false): void {
    if (!this.current) return;
    const viewport = cornerstone.getViewport(this.element);
    if (!viewport) return;
    cornerstone.setViewport(this.element, this.withVoiFunction(mergeViewport(viewport, change)));
    if (paintNowIfIdle && !this.paintedThisFrame) paintNow(this.element);
  }

  private installMouse(): void {
    const element = this.element;
    element.addEventListener('contextmenu', (event) => event.preventDefault());
    element.addEventListener('pointerdown', (event) => {
      const viewport = this.viewportNow();
      if (!viewport) return;
      const pan = event.button === 1 || (event.button === 0 && (event.shiftKey || event.ctrlKey));
      if (event.button !== 0 && event.button !== 1) return;
      event.preventDefault();
      element.focus();
      element.setPointerCapture(event.pointerId);
      this.drag = {
        mode: pan ? 'pan' : 'window',
        pointerId: event.pointerId,
        startX: event.clientX,
        startY: event.clientY,
        lastX: event.clientX,
        lastY: event.clientY,
        startWindow: { center: viewport.voi.windowCenter, width: viewport.voi.windowWidth },
      };
      this.root.classList.add(pan ? 'panning' : 'windowing');
    });
    element.addEventListener('pointermove', (event) => {
      const drag = this.drag;
      const current = this.current;
      if (!drag || event.pointerId !== drag.pointerId || !current) return;
      if (drag.mode === 'window') {
        const next = dragWindow(
          drag.startWindow,
          event.clientX - drag.startX,
          event.clientY - drag.startY,
          current.range,
        );
        this.usingVoiLut = false;
        this.applyViewport(
          { voi: { windowCenter: next.center, windowWidth: next.width }, voiLUT: undefined },
          true,
        );
      } else {
        const viewport = this.viewportNow();
        if (!viewport) return;
        this.fitted = false;
        const dx = (event.clientX - drag.lastX) / viewport.scale;
        const dy = (event.clientY - drag.lastY) / viewport.scale;
        this.applyViewport(
          { translation: { x: viewport.translation.x + dx, y: viewport.translation.y + dy } },
          true,
        );
      }
      drag.lastX = event.clientX;
      drag.lastY = event.clientY;
    });
    const endDrag = (event: PointerEvent): void => {
      if (!this.drag || event.pointerId !== this.drag.pointerId) return;
      this.drag = null;
      this.root.classList.remove('panning', 'windowing');
    };
    element.addEventListener('pointerup', endDrag);
    element.addEventListener('pointercancel', endDrag);
    element.addEventListener(
      'wheel',
      (event) => {
        const viewport = this.viewportNow();
        if (!viewport) return;
        event.preventDefault();
        this.zoomAt(event.offsetX, event.offsetY, Math.exp(-event.deltaY * 0.0015), viewport);
      },
      { passive: false },
    );
  }

  /** Zooms keeping the image point under (canvasX, canvasY) fixed. */
  private zoomAt(
    canvasX: number,
    canvasY: number,
    factor: number,
    viewport: CornerstoneViewport,
  ): void {
    this.fitted = false;
    const before = cornerstone.canvasToPixel(this.element, { x: canvasX, y: canvasY });
    const scale = clampScale(viewport.scale * factor);
    cornerstone.setViewport(this.element, { ...viewport, scale });
    const after = cornerstone.canvasToPixel(this.element, { x: canvasX, y: canvasY });
    cornerstone.setViewport(this.element, {
      ...viewport,
      scale,
      translation: {
        x: viewport.translation.x + (after.x - before.x),
        y: viewport.translation.y + (after.y - before.y),
      },
    });
  }

  private onRendered(detail: ImageRenderedDetail): void {
    if (!this.paintedThisFrame) {
      this.paintedThisFrame = true;
      requestAnimationFrame(() => (this.paintedThisFrame = false));
    }
    const current = this.current;
    if (!current) return;
    if (this.awaitingFirstPaint) {
      this.awaitingFirstPaint = false;
      performance.mark('cxr:first-paint');
      performance.measure('cxr:built-to-first-paint', 'cxr:image-built', 'cxr:first-paint');
    }
    if (this.heatmapVisible && this.heatmap && this.heatmapCanvas) {
      this.drawHeatmap(detail.canvasContext, this.heatmap, this.heatmapCanvas);
    }
    const lungsShown = this.lungsVisible && this.lungs !== null && this.lungSegments.length > 0;
    if (lungsShown) this.drawLungOutline(detail.canvasContext, this.lungSegments);
    const viewport = detail.viewport;
    // Magnified far enough to see single pixels: show them as blocks, not interpolated.
    const replicate = viewport.scale >= PIXEL_REPLICATION_SCALE;
    if (viewport.pixelReplication !== replicate) {
      cornerstone.setViewport(this.element, { ...viewport, pixelReplication: replicate });
    }
    const corners = overlayCorners(current.metadata, {
      windowCenter: viewport.voi.windowCenter,
      windowWidth: viewport.voi.windowWidth,
      usingVoiLut: this.usingVoiLut,
      scale: viewport.scale,
      frameIndex: current.frameIndex,
      inverted: viewport.invert !== current.image.invert,
    });
    for (const key of Object.keys(corners) as (keyof typeof corners)[]) {
      const text = corners[key].join('\n');
      if (this.corners[key].textContent !== text) this.corners[key].textContent = text;
    }
    // Exposed for tests and scripts: what is on screen, in numbers.
    const data = this.element.dataset;
    data.imageId = current.libraryImageId;
    data.frame = String(current.frameIndex);
    data.columns = String(current.image.columns);
    data.rows = String(current.image.rows);
    data.scale = String(viewport.scale);
    data.translationX = String(viewport.translation.x);
    data.translationY = String(viewport.translation.y);
    data.windowCenter = String(viewport.voi.windowCenter);
    data.windowWidth = String(viewport.voi.windowWidth);
    data.invert = String(viewport.invert);
    data.heatmapVisible = String(this.heatmapVisible && this.heatmap !== null);
    data.lungsVisible = String(lungsShown);
    data.renderCount = String(++this.renderCount);
  }

  /** The affine map from source pixels to canvas pixels (a, b, c, d, e, f), from three points. */
  private pixelToCanvasTransform(): [number, number, number, number, number, number] {
    const origin = cornerstone.pixelToCanvas(this.element, { x: 0, y: 0 });
    const unitX = cornerstone.pixelToCanvas(this.element, { x: 1, y: 0 });
    const unitY = cornerstone.pixelToCanvas(this.element, { x: 0, y: 1 });
    return [
      unitX.x - origin.x,
      unitX.y - origin.y,
      unitY.x - origin.x,
      unitY.y - origin.y,
      origin.x,
      origin.y,
    ];
  }

  private drawHeatmap(
    context: CanvasRenderingContext2D,
    grid: HeatmapGrid,
    source: HTMLCanvasElement,
  ): void {
    const bounds = heatmapBounds(grid);
    context.save();
    context.setTransform(...this.pixelToCanvasTransform());
    context.globalAlpha = this.heatmapOpacity;
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    context.drawImage(source, bounds.x, bounds.y, bounds.width, bounds.height);
    context.restore();
  }

  /**
   * Strokes the outline in canvas pixels (points mapped through the viewport), so the line stays
   * thin at any zoom; a dark halo under a light line keeps it visible on bright and dark film.
   */
  private drawLungOutline(context: CanvasRenderingContext2D, segments: OutlineSegment[]): void {
    const [a, b, c, d, e, f] = this.pixelToCanvasTransform();
    context.save();
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.beginPath();
    for (const s of segments) {
      context.moveTo(a * s.x0 + c * s.y0 + e, b * s.x0 + d * s.y0 + f);
      context.lineTo(a * s.x1 + c * s.y1 + e, b * s.x1 + d * s.y1 + f);
    }
    context.lineCap = 'square';
    context.strokeStyle = 'rgba(0, 0, 0, 0.6)';
    context.lineWidth = 3;
    context.stroke();
    context.strokeStyle = LUNG_OUTLINE_COLOR;
    context.lineWidth = 1.5;
    context.stroke();
    context.restore();
  }
}

function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

function mergeViewport(
  viewport: CornerstoneViewport,
  change: Partial<CornerstoneViewport>,
): CornerstoneViewport {
  const merged = { ...viewport, ...change };
  // cornerstone's setViewport ignores undefined members; an explicit undefined voiLUT must clear it.
  if ('voiLUT' in change && change.voiLUT === undefined) merged.voiLUT = undefined;
  return merged;
}

/** Overlay pixels per heatmap cell: enough for a soft lung edge and crop fade on a 7x7 CAM. */
const HEATMAP_CANVAS_SCALE = 16;

function gridToCanvas(grid: HeatmapGrid, lungs: LungOutlineGrid | null): HTMLCanvasElement {
  const overlay = heatmapOverlayRgba(grid, lungs, HEATMAP_CANVAS_SCALE);
  const canvas = document.createElement('canvas');
  canvas.width = overlay.width;
  canvas.height = overlay.height;
  const context = canvas.getContext('2d');
  if (context) {
    const image = new ImageData(overlay.width, overlay.height);
    image.data.set(overlay.rgba);
    context.putImageData(image, 0, 0);
  }
  return canvas;
}
