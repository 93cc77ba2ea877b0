/**
 * Retrieve = C-MOVE to our own C-STORE SCP (src/main/platform/dicom-network), whose inbox the screening
 * service follows. Before the moves, image-level C-FINDs say which instances each study holds, so
 * afterwards we know their inbox files (`<SOP Instance UID>.dcm`) and can check every one came.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '../../../shared/errors';
import { instanceFileName } from '../../platform/dicom-network';
import { findInstancesOfStudies, moveFailure, moveStudyGroups, type PacsPeer } from './client';

/** Study UIDs per C-MOVE request (UID list matching). */
const UIDS_PER_MOVE = 50;

export interface RetrieveCounts {
  studies: number;
  studiesDone: number;
  completed: number;
  failed: number;
  remaining: number;
  bytes: number;
}

export interface RetrievedStudy {
  studyInstanceUid: string;
  /** Inbox paths of the study's instances (every one the PACS listed). */
  files: string[];
  bytes: number;
}

export async function retrieveStudies(options: {
  peer: PacsPeer;
  studyInstanceUids: readonly string[];
  /** Our receiver's AE title (the PACS must know it with our host and port). */
  destinationAeTitle: string;
  /** The receiver's inbox folder. */
  inboxDir: string;
  signal?: AbortSignal;
  onProgress?: (counts: RetrieveCounts, study?: RetrievedStudy) => void;
}): Promise<RetrievedStudy[]> {
  const { peer, inboxDir, signal } = options;
  const counts: RetrieveCounts = {
    studies: options.studyInstanceUids.length,
    studiesDone: 0,
    completed: 0,
    failed: 0,
    remaining: 0,
    bytes: 0,
  };
  const retrieved: RetrievedStudy[] = [];
  const uids = [...options.studyInstanceUids];
  if (uids.length === 0) return retrieved;
  if (signal?.aborted) throw new CodedError('CANCELLED', 'retrieve cancelled');
  // One association for every image-level C-FIND, one for the C-MOVEs (association set-up
  // costs more than a small study's transfer).
  const instancesOf = await findInstancesOfStudies(peer, uids);
  const checks: Promise<void>[] = [];

  /** Every instance the PACS listed must now be in the inbox. */
  async function collect(index: number): Promise<void> {
    const studyInstanceUid = uids[index];
    const files: string[] = [];
    let bytes = 0;
    for (const instance of instancesOf[index]) {
      const path = join(inboxDir, instanceFileName(instance.sopInstanceUid));
      try {
        bytes += (await stat(path)).size;
      } catch {
        throw new CodedError(
          'PACS_ERROR',
          `the PACS reported study ${studyInstanceUid} sent, but instance ` +
            `${instance.sopInstanceUid} did not arrive in the inbox`,
        );
      }
      files.push(path);
    }
    const study = { studyInstanceUid, files, bytes };
    retrieved.push(study);
    counts.studiesDone++;
    counts.bytes += bytes;
    options.onProgress?.({ ...counts }, study);
  }

  const destination = options.destinationAeTitle;
  /** Moves groups of studies; each group's studies are checked as its final response comes. */
  async function move(groups: string[][], offset: { completed: number; failed: number }) {
    const perGroup = groups.map(() => ({ completed: 0, failed: 0 }));
    return moveStudyGroups(peer, groups, destination, {
      signal,
      onProgress: (index, progress) => {
        perGroup[index] = progress;
        counts.completed = offset.completed + perGroup.reduce((sum, p) => sum + p.completed, 0);
        counts.failed = offset.failed + perGroup.reduce((sum, p) => sum + p.failed, 0);
        counts.remaining = progress.remaining;
        options.onProgress?.({ ...counts });
      },
      onGroupDone: (index, outcome) => {
        if (moveFailure(outcome, 'a study', destination) === null)
          for (const uid of groups[index]) checks.push(collect(uids.indexOf(uid)));
      },
    });
  }

  // Every study in one C-MOVE by UID list matching (one sub-association from the PACS instead
  // of one per study); a PACS that refuses a list gets one C-MOVE per study instead.
  const lists: string[][] = [];
  for (let i = 0; i < uids.length; i += UIDS_PER_MOVE) lists.push(uids.slice(i, i + UIDS_PER_MOVE));
  const outcomes = await move(lists, { completed: 0, failed: 0 });
  for (const [index, outcome] of outcomes.entries()) {
    const group = lists[index];
    const failure = moveFailure(outcome, `${group.length} studies`, destination);
    if (failure === null) continue;
    if (group.length === 1 || outcome.failed > 0) throw new CodedError('PACS_ERROR', failure);
    const singles = await move(
      group.map((uid) => [uid]),
      { completed: counts.completed, failed: counts.failed },
    );
    singles.forEach((single, i) => {
      const why = moveFailure(single, `study ${group[i]}`, destination);
      if (why) throw new CodedError('PACS_ERROR', why);
    });
  }
  await Promise.all(checks);
  retrieved.sort((a, b) => uids.indexOf(a.studyInstanceUid) - uids.indexOf(b.studyInstanceUid));
  return retrieved;
}
