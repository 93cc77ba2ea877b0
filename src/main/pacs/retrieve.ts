/**
 * Retrieve = C-MOVE to our own C-STORE SCP (src/main/dicom-network), whose inbox the screening
 * service follows. Before each move an image-level C-FIND says which instances the study holds,
 * so afterwards we know their inbox files (`<SOP Instance UID>.dcm`) and can check every one came.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '../../shared/errors';
import { instanceFileName } from '../dicom-network';
import { findInstanceUids, moveStudy, type PacsPeer } from './client';

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
  for (const studyInstanceUid of options.studyInstanceUids) {
    if (signal?.aborted) throw new CodedError('CANCELLED', 'retrieve cancelled');
    const instances = await findInstanceUids(peer, studyInstanceUid);
    const before = { completed: counts.completed, failed: counts.failed };
    const moved = await moveStudy(peer, studyInstanceUid, options.destinationAeTitle, {
      signal,
      onProgress: (progress) => {
        counts.completed = before.completed + progress.completed;
        counts.failed = before.failed + progress.failed;
        counts.remaining = progress.remaining;
        options.onProgress?.({ ...counts });
      },
    });
    if (moved.failed > 0)
      throw new CodedError(
        'PACS_ERROR',
        `${moved.failed} of ${moved.completed + moved.failed} instances of study ` +
          `${studyInstanceUid} could not be sent to ${options.destinationAeTitle}`,
      );
    const files: string[] = [];
    let bytes = 0;
    for (const instance of instances) {
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
    counts.remaining = 0;
    options.onProgress?.({ ...counts }, study);
  }
  return retrieved;
}
