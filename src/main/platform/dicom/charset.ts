/**
 * Specific Character Set (0008,0005) -> TextDecoder label. Only single-byte sets and UTF-8/GB18030
 * are mapped; ISO 2022 code extensions fall back to their base set (escape sequences are dropped).
 */
import { TextDecoder } from 'node:util';

const LABELS: Record<string, string> = {
  '': 'latin1',
  ISO_IR_6: 'latin1',
  ISO_IR_100: 'latin1',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'iso-8859-9',
  ISO_IR_203: 'iso-8859-15',
  ISO_IR_13: 'shift_jis',
  ISO_IR_166: 'windows-874',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

const decoders = new Map<string, TextDecoder>();

function decoderFor(label: string): TextDecoder {
  let decoder = decoders.get(label);
  if (!decoder) {
    try {
      decoder = new TextDecoder(label);
    } catch {
      decoder = new TextDecoder('latin1');
    }
    decoders.set(label, decoder);
  }
  return decoder;
}

/** Picks a decoder from the (possibly multi-valued) Specific Character Set value. */
export function textDecoderForCharset(specificCharacterSet: string | undefined): TextDecoder {
  const terms = (specificCharacterSet ?? '').split('\\').map((t) =>
    t
      .trim()
      .replace(/^ISO 2022 /, '')
      .replace(/ /g, '_'),
  );
  // With code extensions the first value may be empty (default repertoire); use the first named set.
  const named = terms.find((t) => t !== '') ?? '';
  return decoderFor(LABELS[named] ?? 'latin1');
}
