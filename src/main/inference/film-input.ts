/** A decoded frame as the engine's `analyse` takes it (the one conversion, for every caller). */
import type { DecodedFrame, ImageMetadata } from '../../shared/imaging';
import { toModelGray } from '../imaging';
import { chestHeaderOf } from './lungs/gate';
import type { FilmInput } from './pipeline';

export function filmInputOf(frame: DecodedFrame, metadata: ImageMetadata): FilmInput {
  return {
    gray: { data: toModelGray(frame, metadata), width: frame.columns, height: frame.rows },
    header: chestHeaderOf(metadata),
  };
}
