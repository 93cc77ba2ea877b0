/**
 * The reader-reading and site-validation channels of the IPC contract (spread into
 * `ipcContract` in contract.ts; kept here so that file stays one screen per feature).
 */
import { z } from 'zod';
import { channel, opaqueId } from './channel';
import { READER_LABELS, READER_NOTE_MAX_LENGTH, type ReaderReading } from '../reader-reading';
import type {
  SiteOperatingPointChoice,
  SiteProfilesState,
  SiteValidationReport,
} from '../site-profile';

const modelLabel = z.string().min(1).max(64);
const profileName = z.string().min(1).max(48);
const targetSensitivity = z.number().gt(0).max(1);

const aiOpinionSchema = z
  .object({
    modelId: z.string().min(1).max(128),
    label: modelLabel,
    probability: z.number().min(0).max(1),
    verdict: z.enum(['call', 'uncertain', 'unfamiliar']).nullable(),
    siteProfile: profileName.nullable(),
  })
  .strict();

export const siteValidationContract = {
  /** Records the reader's reading of the study the image belongs to (durable when this replies). */
  'readings:record': channel<
    z.ZodType<{
      imageId: string;
      reading: (typeof READER_LABELS)[number];
      agreement: 'agree' | 'disagree' | null;
      note: string;
      ai: z.infer<typeof aiOpinionSchema> | null;
    }>,
    ReaderReading
  >(
    z
      .object({
        imageId: opaqueId,
        reading: z.enum(READER_LABELS),
        agreement: z.enum(['agree', 'disagree']).nullable(),
        note: z.string().max(READER_NOTE_MAX_LENGTH),
        ai: aiOpinionSchema.nullable(),
      })
      .strict(),
  ),
  /** The latest reading of the image's study, or null. */
  'readings:forImage': channel<z.ZodType<{ imageId: string }>, ReaderReading | null>(
    z.object({ imageId: opaqueId }).strict(),
  ),
  /** The latest reading of every study, newest first. */
  'readings:list': channel<z.ZodObject<Record<string, never>>, ReaderReading[]>(
    z.object({}).strict(),
  ),
  /** Save dialog, then the readings as CSV (`path,label,...`); savedTo null when cancelled. */
  'readings:export': channel<
    z.ZodObject<Record<string, never>>,
    { savedTo: string | null; count: number }
  >(z.object({}).strict()),

  /** Open dialog for a labels CSV (`path,label`); null when cancelled. */
  'siteValidation:pickLabels': channel<
    z.ZodObject<Record<string, never>>,
    { labelsId: string; displayPath: string } | null
  >(z.object({}).strict()),
  /**
   * Runs the pipeline over the folders (ids from `screening:pickFolder`) and joins the labels;
   * progress arrives as `siteValidation:progress` events.
   */
  'siteValidation:run': channel<
    z.ZodType<{
      folderIds: string[];
      labels: { kind: 'labels-csv'; labelsId: string } | { kind: 'reader-readings' };
    }>,
    SiteValidationReport
  >(
    z
      .object({
        folderIds: z.array(opaqueId).min(1).max(64),
        labels: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('labels-csv'), labelsId: opaqueId }).strict(),
          z.object({ kind: z.literal('reader-readings') }).strict(),
        ]),
      })
      .strict(),
  ),
  /** The threshold of `label` reaching `targetSensitivity` on a run's films, with its figures. */
  'siteValidation:chooseOperatingPoint': channel<
    z.ZodType<{ runId: string; label: string; targetSensitivity: number }>,
    SiteOperatingPointChoice
  >(z.object({ runId: opaqueId, label: modelLabel, targetSensitivity }).strict()),

  'siteProfiles:state': channel<z.ZodObject<Record<string, never>>, SiteProfilesState>(
    z.object({}).strict(),
  ),
  /**
   * Chooses the threshold (and/or fits the recalibration) again in main from the run's films and
   * saves it (not made active). Refused from fewer than 30 films of a class it involves unless
   * `acceptSmallN` (the UI asks the user to confirm first).
   */
  'siteProfiles:save': channel<
    z.ZodType<{
      runId: string;
      name: string;
      label: string | null;
      targetSensitivity: number | null;
      recalibrate?: boolean;
      acceptSmallN?: boolean;
    }>,
    SiteProfilesState
  >(
    z
      .object({
        runId: opaqueId,
        name: profileName,
        label: modelLabel.nullable(),
        targetSensitivity: targetSensitivity.nullable(),
        recalibrate: z.boolean().optional(),
        acceptSmallN: z.boolean().optional(),
      })
      .strict(),
  ),
  /** Makes a profile the one in use (passed to the engine on every path); null switches it off. */
  'siteProfiles:setActive': channel<z.ZodType<{ name: string | null }>, SiteProfilesState>(
    z.object({ name: profileName.nullable() }).strict(),
  ),
} as const;

export interface SiteValidationEvents {
  'siteValidation:progress': { done: number; total: number };
}
