/**
 * Paints a dirty viewport at once, as cornerstone-core 2.6.1's internal drawImageSync does in its
 * requestAnimationFrame loop (same renderers, same IMAGE_RENDERED event), so a mouse-driven change
 * need not wait for the next animation frame. Only plain grey/colour images without layers or
 * colormaps (all this viewer shows); anything else returns false and is left to cornerstone.
 */
import cornerstone, { type ImageRenderedDetail } from 'cornerstone-core';

export function paintNow(element: HTMLElement): boolean {
  const enabled = cornerstone.getEnabledElement(element);
  const image = enabled.image;
  const canvas = enabled.canvas;
  if (!canvas || !image || !enabled.needsRedraw || (enabled.layers?.length ?? 0) > 0) return false;
  const start = performance.now();
  image.stats = {
    lastGetPixelDataTime: -1,
    lastStoredPixelDataToCanvasImageDataTime: -1,
    lastPutImageDataTime: -1,
    lastRenderTime: -1,
    lastLutGenerateTime: -1,
  };
  if (image.color) cornerstone.renderColorImage(enabled, enabled.invalid);
  else cornerstone.renderGrayscaleImage(enabled, enabled.invalid);
  const context = canvas.getContext('2d', { desynchronized: true });
  if (!context) return false;
  const renderTimeInMs = performance.now() - start;
  image.stats.lastRenderTime = renderTimeInMs;
  enabled.invalid = false;
  enabled.needsRedraw = false;
  const detail: ImageRenderedDetail & { enabledElement: unknown } = {
    viewport: enabled.viewport,
    element,
    image,
    enabledElement: enabled,
    canvasContext: context,
    renderTimeInMs,
  };
  cornerstone.triggerEvent(element, cornerstone.EVENTS.IMAGE_RENDERED, detail);
  return true;
}
