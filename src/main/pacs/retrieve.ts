/**
 * Retrieve = C-MOVE to our own C-STORE SCP (src/main/dicom-network), whose inbox the screening
 * service follows. Before the moves, image-level C-FINDs say which instances each study holds, so
 * afterwards we know their inbox files (`<SOP Instance UID>.dcm`) and can check every one came.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '../../shared/errors';
import { instanceFileName } from '../dicom-network';
import { findInstancesOfStudies, moveStudies, type PacsPeer } from './client';

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
  // One association for every image-level C-FIND, one for every C-MOVE (association set-up
  // costs more than a small study's transfer).
  const instancesOf = await findInstancesOfStudies(peer, uids);
  const perStudy = uids.map(() => ({ completed: 0, failed: 0 }));
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

  await moveStudies(peer, uids, options.destinationAeTitle, {
    signal,
    onProgress: (index, progress) => {
      perStudy[index] = progress;
      counts.completed = perStudy.reduce((sum, p) => sum + p.completed, 0);
      counts.failed = perStudy.reduce((sum, p) => sum + p.failed, 0);
      counts.remaining = progress.remaining;
      options.onProgress?.({ ...counts });
    },
    onStudyDone: (index, progress) => {
      if (progress.failed > 0)
        checks.push(
          Promise.reject(
            new CodedError(
              'PACS_ERROR',
              `${progress.failed} of ${progress.completed + progress.failed} instances of study ` +
                `${uids[index]} could not be sent to ${options.destinationAeTitle}`,
            ),
          ),
        );
      else checks.push(collect(index));
    },
  });
  await Promise.all(checks);
  retrieved.sort((a, b) => uids.indexOf(a.studyInstanceUid) - uids.indexOf(b.studyInstanceUid));
  return retrieved;
}
