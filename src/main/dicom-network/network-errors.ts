/**
 * dcmjs-dimse's network errors in words a user can act on. The common case is a peer that is not
 * speaking DICOM at all (a web server on the port, a browser pointed at the receiver, TLS): the
 * library reports the first byte it read as an "Unknown PDU type", e.g. 72 for the "H" of an
 * HTTP server's "HTTP/1.1 400" answer.
 */

/** First bytes of other protocols, and what they mean on a DICOM port. */
function otherProtocol(byte: number): string {
  if (byte === 0x48) return 'it answered like an HTTP (web) server';
  if (byte === 0x47 || byte === 0x50 || byte === 0x4f || byte === 0x44)
    return 'it sent what looks like an HTTP (web) request';
  if (byte === 0x16) return 'it started a TLS (encrypted) handshake';
  if (byte === 0x53) return 'it sent what looks like an SSH greeting';
  return 'these bytes are not DICOM';
}

export function networkErrorInWords(message: string): string {
  const match = /Unknown PDU type: (\d+)/.exec(message);
  if (!match) return message;
  const byte = Number(match[1]);
  const hex = `0x${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  const shown = byte >= 0x20 && byte < 0x7f ? ` ("${String.fromCharCode(byte)}")` : '';
  return (
    `the peer is not speaking DICOM: its first byte was ${hex}${shown}, which starts no DICOM ` +
    `message; ${otherProtocol(byte)} (check the port: is it the DICOM port, not a web port?)`
  );
}
