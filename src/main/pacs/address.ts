/**
 * A PACS as the user writes it: `AET@host:port`. The host must be an IP address the user typed
 * (names are refused, so nothing is looked up and what is contacted is plain to see).
 */
import { isIP } from 'node:net';
import { aeTitleProblem } from '../../shared/dicom-receiver';
import { CodedError } from '../../shared/errors';
import type { PacsConnection } from '../../shared/pacs';

export type PacsAddress = Pick<PacsConnection, 'aeTitle' | 'host' | 'port'>;

/** Why `value` is not a usable PACS address, or null when it is. */
export function pacsAddressProblem(address: PacsAddress): string | null {
  const aeProblem = aeTitleProblem(address.aeTitle);
  if (aeProblem) return aeProblem;
  if (isIP(address.host) === 0)
    return `host ${JSON.stringify(address.host)} must be an IP address (e.g. 127.0.0.1)`;
  if (!Number.isInteger(address.port) || address.port < 1 || address.port > 65535)
    return `port ${address.port} must be 1-65535`;
  return null;
}

/** Parses `AET@host:port` (IPv6 as `AET@[::1]:port`). */
export function parsePacsAddress(text: string): PacsAddress {
  const match = /^([^@]+)@(\[[0-9A-Fa-f:.]+\]|[^:@\s]+):(\d{1,5})$/.exec(text.trim());
  if (!match)
    throw new CodedError('INVALID_REQUEST', `expected AET@host:port, got ${JSON.stringify(text)}`);
  const address = {
    aeTitle: match[1].trim(),
    host: match[2].replace(/^\[|\]$/g, ''),
    port: Number(match[3]),
  };
  const problem = pacsAddressProblem(address);
  if (problem) throw new CodedError('INVALID_REQUEST', problem);
  return address;
}
