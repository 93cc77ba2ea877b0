export { createDecodePool, defaultDecodePoolSize } from './pool';
export type { DecodePool } from './pool';
export { decodeForModel, fileErrorInfo, renderThumbnail } from './tasks';
export type { GrayRaster, ModelGrayImage } from './tasks';
