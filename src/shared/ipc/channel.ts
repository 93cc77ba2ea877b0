/** The one helper every contract slice declares its channels with, and the ids they share. */
import { z } from 'zod';

/** Declares a channel: the request schema at runtime, the reply type at compile time only. */
export function channel<Schema extends z.ZodType, Reply>(
  request: Schema,
): { request: Schema; reply?: Reply } {
  return { request };
}

/** An id main handed out (image, folder, job, run): never a path. */
export const opaqueId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/);
