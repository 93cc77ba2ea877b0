/** The parts of cornerstone-core 2.6.1 the viewer uses (the package ships no types). */
declare module 'cornerstone-core' {
  export interface CornerstoneVoiLut {
    /** cornerstone re-uses its cached display LUT while the id stays the same. */
    id?: string;
    firstValueMapped: number;
    numBitsPerEntry: number;
    lut: number[];
  }

  export interface CornerstoneViewport {
    scale: number;
    translation: { x: number; y: number };
    voi: { windowWidth: number; windowCenter: number };
    invert: boolean;
    pixelReplication: boolean;
    rotation: number;
    hflip: boolean;
    vflip: boolean;
    voiLUT?: CornerstoneVoiLut;
    /** Replaces the image's slope/intercept (lut indexed by stored value, from 0). */
    modalityLUT?: CornerstoneVoiLut;
  }

  export interface CornerstoneImage {
    imageId: string;
    minPixelValue: number;
    maxPixelValue: number;
    slope: number;
    intercept: number;
    windowCenter: number;
    windowWidth: number;
    getPixelData: () => ArrayLike<number>;
    rows: number;
    columns: number;
    height: number;
    width: number;
    color: boolean;
    rgba: boolean;
    invert: boolean;
    columnPixelSpacing?: number;
    rowPixelSpacing?: number;
    sizeInBytes: number;
    voiLUT?: CornerstoneVoiLut;
  }

  export interface ImageRenderedDetail {
    element: HTMLElement;
    viewport: CornerstoneViewport;
    image: CornerstoneImage;
    canvasContext: CanvasRenderingContext2D;
    renderTimeInMs: number;
  }

  export interface Point {
    x: number;
    y: number;
  }

  export interface EnabledElement {
    element: HTMLElement;
    canvas?: HTMLCanvasElement;
    image?: CornerstoneImage & { stats?: Record<string, number> };
    viewport: CornerstoneViewport;
    invalid: boolean;
    needsRedraw: boolean;
    layers?: unknown[];
  }

  export interface CornerstoneStatic {
    getEnabledElement(element: HTMLElement): EnabledElement;
    renderGrayscaleImage(enabledElement: EnabledElement, invalidated: boolean): void;
    renderColorImage(enabledElement: EnabledElement, invalidated: boolean): void;
    triggerEvent(element: HTMLElement, type: string, detail: unknown): void;
    enable(element: HTMLElement, options?: Record<string, unknown>): void;
    disable(element: HTMLElement): void;
    registerImageLoader(
      scheme: string,
      loader: (imageId: string) => { promise: Promise<CornerstoneImage>; cancelFn?: () => void },
    ): void;
    loadImage(imageId: string): Promise<CornerstoneImage>;
    displayImage(
      element: HTMLElement,
      image: CornerstoneImage,
      viewport?: Partial<CornerstoneViewport>,
    ): void;
    getDefaultViewportForImage(element: HTMLElement, image: CornerstoneImage): CornerstoneViewport;
    getViewport(element: HTMLElement): CornerstoneViewport | undefined;
    setViewport(element: HTMLElement, viewport: Partial<CornerstoneViewport>): void;
    fitToWindow(element: HTMLElement): void;
    resize(element: HTMLElement, forceFitToWindow?: boolean): void;
    updateImage(element: HTMLElement, invalidated?: boolean): void;
    pixelToCanvas(element: HTMLElement, point: Point): Point;
    canvasToPixel(element: HTMLElement, point: Point): Point;
    EVENTS: { IMAGE_RENDERED: string; NEW_IMAGE: string; ELEMENT_RESIZED: string };
  }

  const cornerstone: CornerstoneStatic;
  export default cornerstone;
}
