/**
 * Named site profiles in the app's user data: `profiles.json` (every profile and which one is
 * active), replaced atomically (write temp, fsync, rename, fsync folder), and beside it one
 * folder per profile holding the validation report that chose it. A profile is applied only
 * after the user made it active, and only to the model it was chosen on: with another model
 * loaded the state says why it is not applied (nothing is applied silently).
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { writeFileDurably } from '../durable-file';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CodedError } from '../../shared/errors';
import {
  MIN_PROFILE_FILMS_PER_CLASS,
  SITE_PROFILE_NAME_PATTERN,
  operatingPointOf,
  type SiteOperatingPointChoice,
  type SiteProfile,
  type SiteProfilesState,
  type SiteRecalibration,
} from '../../shared/site-profile';
import type { OperatingPoint } from '../../shared/verdict';
import { chooseOperatingPoint } from './operating-point';
import { recalibrationNotBetter, recalibrationOfScores } from './recalibration';
import { REPORT_FILE, readSiteValidationReport, readStoredScores, runDirOf } from './run';

export const PROFILES_FILE = 'profiles.json';

/** The CLI's default folders (the app passes folders in its user data). */
export function defaultSiteValidationDir(): string {
  return join(homedir(), '.covidnet-workstation', 'site-validation');
}

interface StoredProfiles {
  profiles: SiteProfile[];
  activeProfileName: string | null;
}

function writeAtomically(dir: string, file: string, text: string): Promise<void> {
  return writeFileDurably(join(dir, file), text);
}

/** Folder name of a profile (the name pattern allows spaces and brackets; the folder does not). */
function profileFolder(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

export interface CreateProfileRequest {
  name: string;
  runId: string;
  /** The label whose threshold reaches `targetSensitivity`; both null for a calibration-only profile. */
  label: string | null;
  targetSensitivity: number | null;
  /** Fit a site recalibration (temperature and prior shift) on the run's films. */
  recalibrate?: boolean;
  /** Save even from fewer than 30 films of a class it involves (the warning travels with it). */
  acceptSmallN?: boolean;
}

/**
 * Films per class the profile involves that fall short of MIN_PROFILE_FILMS_PER_CLASS: a
 * threshold involves its label and the films that are not it; a recalibration every class.
 */
export function smallNShortfalls(
  films: readonly { truth: string }[],
  labels: readonly string[],
  involves: { thresholdLabel: string | null; recalibration: boolean },
): string[] {
  const count = (label: string) => films.filter((f) => f.truth === label).length;
  const shortfalls: string[] = [];
  const involved = involves.recalibration
    ? [...labels]
    : involves.thresholdLabel !== null
      ? [involves.thresholdLabel]
      : [];
  for (const label of involved) {
    const n = count(label);
    if (n < MIN_PROFILE_FILMS_PER_CLASS)
      shortfalls.push(`${n} ${label} ${n === 1 ? 'film' : 'films'}`);
  }
  if (involves.thresholdLabel !== null && !involves.recalibration) {
    const others = films.length - count(involves.thresholdLabel);
    if (others < MIN_PROFILE_FILMS_PER_CLASS) {
      shortfalls.push(
        `${others} ${others === 1 ? 'film' : 'films'} that are not ${involves.thresholdLabel}`,
      );
    }
  }
  return shortfalls;
}

export interface SiteProfileStore {
  readonly dir: string;
  /** Profiles, the active one, and why it is not applied to the model with this sha256 (if so). */
  state(modelSha256: string | null): SiteProfilesState;
  /** The operating point to pass to the engine, or null (none active, or made for another model). */
  activeOperatingPoint(modelSha256: string | null): OperatingPoint | null;
  /** Chooses the threshold on the run's films again (never trusting a caller's figures) and saves it. */
  create(
    request: CreateProfileRequest,
    runsDir: string,
    model: { sha256: string; thresholds: Record<string, number> },
  ): Promise<SiteProfile>;
  /** Null switches site profiles off (the model's own thresholds). */
  setActive(name: string | null, modelSha256: string | null): Promise<SiteProfilesState>;
  remove(name: string): Promise<void>;
}

export async function openSiteProfileStore(dir: string): Promise<SiteProfileStore> {
  let stored: StoredProfiles = { profiles: [], activeProfileName: null };
  try {
    stored = JSON.parse(await readFile(join(dir, PROFILES_FILE), 'utf8')) as StoredProfiles;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CodedError(
        'INTERNAL_ERROR',
        `Cannot read the site profiles in ${dir}: ${String(error)}`,
      );
    }
  }
  const persist = () => writeAtomically(dir, PROFILES_FILE, `${JSON.stringify(stored, null, 2)}\n`);
  const find = (name: string) => stored.profiles.find((p) => p.name === name) ?? null;

  const inactiveReason = (modelSha256: string | null): string | null => {
    const active = stored.activeProfileName ? find(stored.activeProfileName) : null;
    if (!active) return null;
    if (modelSha256 === null) return 'No model is loaded.';
    if (active.modelSha256 !== modelSha256) {
      return `Site profile "${active.name}" was chosen on model ${active.modelId}; it is not applied to the model loaded now.`;
    }
    return null;
  };

  return {
    dir,
    state: (modelSha256) => ({
      profiles: stored.profiles,
      activeProfileName: stored.activeProfileName,
      inactiveReason: inactiveReason(modelSha256),
    }),
    activeOperatingPoint(modelSha256) {
      const active = stored.activeProfileName ? find(stored.activeProfileName) : null;
      if (!active || inactiveReason(modelSha256) !== null) return null;
      return operatingPointOf(active);
    },
    async create(request, runsDir, model) {
      const name = request.name.trim();
      if (!SITE_PROFILE_NAME_PATTERN.test(name)) {
        throw new CodedError(
          'INVALID_REQUEST',
          'A profile name is 1-48 letters, digits, spaces or . _ - ( ), starting with a letter or digit',
        );
      }
      if (find(name))
        throw new CodedError('INVALID_REQUEST', `A site profile named "${name}" already exists`);
      if ((request.label === null) !== (request.targetSensitivity === null)) {
        throw new CodedError(
          'INVALID_REQUEST',
          'A threshold needs both a label and a target sensitivity',
        );
      }
      if (request.targetSensitivity === null && !request.recalibrate) {
        throw new CodedError(
          'INVALID_REQUEST',
          'A site profile needs a threshold (label and target sensitivity), a recalibration, or both',
        );
      }
      if (
        request.targetSensitivity !== null &&
        !(request.targetSensitivity > 0 && request.targetSensitivity <= 1)
      ) {
        throw new CodedError('INVALID_REQUEST', 'The target sensitivity is a fraction in (0, 1]');
      }
      const scores = await readStoredScores(runsDir, request.runId);
      if (scores.modelSha256 !== model.sha256) {
        throw new CodedError(
          'INVALID_REQUEST',
          `Run ${request.runId} was made with model ${scores.modelId}; validate again with the model loaded now`,
        );
      }
      if (scores.siteProfile) {
        throw new CodedError(
          'INVALID_REQUEST',
          `Run ${request.runId} was made with site profile "${scores.siteProfile}" applied; ` +
            'a profile is chosen on a run with the model alone',
        );
      }
      const shortfalls = smallNShortfalls(scores.films, scores.labels, {
        thresholdLabel: request.label,
        recalibration: request.recalibrate === true,
      });
      if (shortfalls.length > 0 && !request.acceptSmallN) {
        throw new CodedError(
          'INVALID_REQUEST',
          `Not saved: this profile rests on only ${shortfalls.join(', ')} in run ${request.runId} ` +
            `(at least ${MIN_PROFILE_FILMS_PER_CLASS} of each are needed). Validate on more films, ` +
            'or accept the small numbers explicitly (--accept-small-n); its warning then goes with it.',
        );
      }
      const smallNWarning =
        shortfalls.length > 0
          ? `Small-n profile: chosen on only ${shortfalls.join(', ')} (fewer than ${MIN_PROFILE_FILMS_PER_CLASS}); its figures are too uncertain to rely on.`
          : null;
      let choice: SiteOperatingPointChoice | null = null;
      if (request.label !== null && request.targetSensitivity !== null) {
        choice = chooseOperatingPoint(
          scores.films,
          scores.labels,
          request.label,
          request.targetSensitivity,
          model.thresholds[request.label] ?? 0.5,
        );
        if (choice === null) {
          throw new CodedError(
            'INVALID_REQUEST',
            `No scored ${request.label} films in run ${request.runId} to choose a threshold on`,
          );
        }
      }
      const recalibration: SiteRecalibration | null = request.recalibrate
        ? recalibrationOfScores(scores)
        : null;
      const notBetter = recalibration ? recalibrationNotBetter(recalibration) : null;
      if (notBetter) throw new CodedError('INVALID_REQUEST', notBetter);
      const report = await readSiteValidationReport(runsDir, request.runId);
      const profile: SiteProfile = {
        name,
        label: choice?.label ?? null,
        threshold: choice?.threshold ?? null,
        modelId: scores.modelId,
        modelSha256: scores.modelSha256,
        createdAt: new Date().toISOString(),
        choice,
        recalibration,
        smallNWarning,
        validation: {
          runId: report.runId,
          folders: report.folders,
          labelsSource: report.labelsSource,
          scored: report.films.scored,
          auc: choice ? report.perClass[choice.label].auc : null,
        },
      };
      // The figures that chose it, beside it: the whole validation report and the choice.
      const folder = join(dir, profileFolder(name));
      await mkdir(folder, { recursive: true });
      await copyFile(
        join(runDirOf(runsDir, request.runId), REPORT_FILE),
        join(folder, REPORT_FILE),
      );
      await writeAtomically(folder, 'profile.json', `${JSON.stringify(profile, null, 2)}\n`);
      stored = { ...stored, profiles: [...stored.profiles, profile] };
      await persist();
      return profile;
    },
    async setActive(name, modelSha256) {
      if (name !== null) {
        const profile = find(name);
        if (!profile) throw new CodedError('INVALID_REQUEST', `No site profile named "${name}"`);
        if (modelSha256 !== null && profile.modelSha256 !== modelSha256) {
          throw new CodedError(
            'INVALID_REQUEST',
            `Site profile "${name}" was chosen on model ${profile.modelId}, not on the model loaded now`,
          );
        }
      }
      stored = { ...stored, activeProfileName: name };
      await persist();
      return {
        profiles: stored.profiles,
        activeProfileName: stored.activeProfileName,
        inactiveReason: inactiveReason(modelSha256),
      };
    },
    async remove(name) {
      if (!find(name)) throw new CodedError('INVALID_REQUEST', `No site profile named "${name}"`);
      stored = {
        profiles: stored.profiles.filter((p) => p.name !== name),
        activeProfileName: stored.activeProfileName === name ? null : stored.activeProfileName,
      };
      await persist();
    },
  };
}

/**
 * The operating point of a profile named on a command line (`--site-profile <name>`): the CLI
 * applies a profile only when it is named, never the app's active one. Throws when there is no
 * such profile or it was chosen on another model.
 */
export async function namedOperatingPoint(
  siteValidationDir: string,
  name: string,
  model: { id: string; sha256: string },
): Promise<OperatingPoint> {
  const store = await openSiteProfileStore(join(siteValidationDir, 'profiles'));
  const { profiles } = store.state(model.sha256);
  const profile = profiles.find((p) => p.name === name);
  if (!profile) {
    const known = profiles.map((p) => `"${p.name}"`).join(', ') || 'none';
    throw new CodedError(
      'INVALID_REQUEST',
      `No site profile named "${name}" in ${siteValidationDir} (saved profiles: ${known})`,
    );
  }
  if (profile.modelSha256 !== model.sha256) {
    throw new CodedError(
      'INVALID_REQUEST',
      `Site profile "${name}" was chosen on model ${profile.modelId}, not on ${model.id}`,
    );
  }
  return operatingPointOf(profile);
}
