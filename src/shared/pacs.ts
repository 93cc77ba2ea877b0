/**
 * PACS connections, query results, retrieve progress and the results outbox, as the app, the CLI
 * and the renderer see them. No runtime dependency (the renderer imports this too).
 */
import type { CodedErrorInfo } from './errors';
import { AE_TITLE_PATTERN } from './dicom-receiver';

/** A PACS the user entered: its AE title, an IP address (no names: nothing is looked up), a port. */
export interface PacsConnection {
  /** Stable id the renderer refers to (letters, digits, '-', '_'). */
  id: string;
  /** What the user calls it ("Radiology PACS"). */
  name: string;
  aeTitle: string;
  host: string;
  port: number;
  /** Our AE title when we call this PACS (and the C-MOVE destination it must know). */
  callingAeTitle: string;
}

/** C-FIND at study level; empty fields do not filter. Dates are YYYYMMDD. */
export interface PacsStudyQuery {
  patientName?: string;
  patientId?: string;
  accessionNumber?: string;
  studyDateFrom?: string;
  studyDateTo?: string;
  /** Modalities in the study (default CR and DX). */
  modalities?: string[];
}

export interface PacsStudy {
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  studyDate: string;
  accessionNumber: string;
  studyDescription: string;
  modalitiesInStudy: string[];
  numberOfInstances: number | null;
}

export interface PacsEchoResult {
  ok: boolean;
  /** Round trip of association + C-ECHO + release. */
  milliseconds: number;
  error: CodedErrorInfo | null;
}

export type RetrieveState = 'running' | 'done' | 'failed' | 'cancelled';

export interface RetrieveProgress {
  retrieveId: string;
  connectionId: string;
  state: RetrieveState;
  studies: number;
  studiesDone: number;
  /** C-MOVE sub-operations over all studies so far. */
  completed: number;
  failed: number;
  remaining: number;
  bytes: number;
  /** Studies whose every instance is now in the inbox. */
  retrievedStudyUids: string[];
  error: CodedErrorInfo | null;
}

export type OutboxState = 'queued' | 'sending' | 'sent' | 'failed';

/** One film's results waiting for, or sent to, one PACS (kept on disk across restarts). */
export interface OutboxEntry {
  entryId: string;
  connectionId: string;
  /** Destination as AET@host:port (the connection may be edited later). */
  destination: string;
  studyInstanceUid: string;
  sourceSopInstanceUid: string;
  sourcePath: string;
  /** Objects to send: 'sr', and optionally 'sc' (heatmap) and 'encapsulatedPdf'. */
  kinds: string[];
  state: OutboxState;
  attempts: number;
  /** Why the last attempt failed (the PACS's status or the network error), in words. */
  lastError: string | null;
  updatedAt: string;
}

/** The app's PACS settings file: the user's connections. */
export interface PacsSettings {
  connections: PacsConnection[];
}

export const PACS_CONNECTION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export { AE_TITLE_PATTERN };

/** "AET@host:port" as the CLI and the outbox write it. */
export function formatPacsAddress(connection: Pick<PacsConnection, 'aeTitle' | 'host' | 'port'>) {
  const host = connection.host.includes(':') ? `[${connection.host}]` : connection.host;
  return `${connection.aeTitle}@${host}:${connection.port}`;
}

/** YYYYMMDD with a real month and day (a DICOM DA value). */
export const DICOM_DATE_PATTERN = /^\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;
