/** The DICOM receiver as the app shows it (settings panel, Inbox list). */
import type { CodedErrorInfo } from './errors';

export interface ReceiverSettings {
  port: number;
  aeTitle: string;
  /** Empty: any calling AE title may send. */
  allowedCallingAeTitles: string[];
  /** Screen each received image into the inbox's screening job. */
  screen: boolean;
  /** Listen on every interface (a modality on another machine); otherwise 127.0.0.1 only. */
  listenOnNetwork: boolean;
}

export interface ReceiverStatus {
  running: boolean;
  settings: ReceiverSettings | null;
  /** Address and port it listens on while running. */
  host: string | null;
  port: number | null;
  /** The screening job following the inbox (its rows are the Inbox list), if screening. */
  jobId: string | null;
  /** Instances stored since it started. */
  received: number;
  /** Last association rejection or storage failure, in words. */
  lastProblem: string | null;
  error: CodedErrorInfo | null;
}

/** AE titles: 1-16 characters of printable ASCII without backslash, not all spaces. */
export const AE_TITLE_PATTERN = /^(?! *$)[\x20-\x5b\x5d-\x7e]{1,16}$/;

/** Why `title` cannot be an AE title, in words (null when it can), e.g. for a 21-character one. */
export function aeTitleProblem(title: string): string | null {
  if (AE_TITLE_PATTERN.test(title)) return null;
  const quoted = JSON.stringify(title);
  if (title.trim() === '') return 'an AE title cannot be empty or only spaces';
  if (title.length > 16)
    return `AE title ${quoted} is ${title.length} characters; DICOM allows at most 16`;
  return `AE title ${quoted} may only use printable ASCII characters other than backslash`;
}
