/**
 * The app's DICOM receiver: off until the settings panel starts it; one at a time; its inbox is a
 * fixed folder under the app's data folder, screened (when asked) by the workstation's screening
 * jobs. Status changes are pushed as 'receiver:status' events.
 */
import { toErrorInfo } from '../../shared/errors';
import type { ReceiverSettings, ReceiverStatus } from '../../shared/dicom-receiver';
import type { ScreeningProgress } from '../../shared/screening';
import type { ReceiverEvent } from '../platform/dicom-network';
import { startDicomInbox, type DicomInbox } from './dicom-inbox';
import type { ScreeningJobs } from './screening-jobs';

export interface ReceiverService {
  status(): ReceiverStatus;
  start(settings: ReceiverSettings): Promise<ReceiverStatus>;
  stop(): Promise<ReceiverStatus>;
}

export function createReceiverService(options: {
  inboxDir: string;
  storeDir: string;
  /** The screening jobs and model, or a rejection saying why there is no model. */
  screening: () => Promise<{ jobs: ScreeningJobs; modelSha256: string }>;
  onStatus: (status: ReceiverStatus) => void;
  onProgress: (progress: ScreeningProgress) => void;
}): ReceiverService {
  let running: DicomInbox | null = null;
  let current: ReceiverStatus = {
    running: false,
    settings: null,
    host: null,
    port: null,
    jobId: null,
    received: 0,
    lastProblem: null,
    error: null,
  };
  const update = (change: Partial<ReceiverStatus>): ReceiverStatus => {
    current = { ...current, ...change };
    options.onStatus(current);
    return current;
  };
  const onEvent = (event: ReceiverEvent): void => {
    if (event.type === 'stored') update({ received: current.received + 1 });
    else if (event.type === 'association-rejected')
      update({ lastProblem: `Refused ${event.callingAeTitle}: ${event.reason}` });
    else if (event.type === 'store-failed')
      update({ lastProblem: `Could not store ${event.sopInstanceUid}: ${event.message}` });
  };

  return {
    status: () => current,
    async start(settings) {
      if (running) await running.stop();
      running = null;
      try {
        const screening = settings.screen ? await options.screening() : null;
        running = await startDicomInbox({
          port: settings.port,
          aeTitle: settings.aeTitle,
          inbox: options.inboxDir,
          bind: settings.listenOnNetwork ? '0.0.0.0' : undefined,
          allowedCallingAeTitles:
            settings.allowedCallingAeTitles.length > 0 ? settings.allowedCallingAeTitles : null,
          onEvent,
          screening: screening
            ? { ...screening, storeDir: options.storeDir, onProgress: options.onProgress }
            : undefined,
        });
      } catch (error) {
        return update({
          running: false,
          settings,
          host: null,
          port: null,
          error: toErrorInfo(error),
        });
      }
      return update({
        running: true,
        settings,
        host: running.receiver.host,
        port: running.receiver.port,
        jobId: running.jobId,
        received: 0,
        lastProblem: null,
        error: null,
      });
    },
    async stop() {
      const stopping = running;
      running = null;
      if (stopping) await stopping.stop();
      return update({ running: false, host: null, port: null });
    },
  };
}
