/**
 * A tiny, safe markdown reader for the model card: parses into blocks of plain text runs
 * (DOM-free). The DOM side builds elements with textContent only, never innerHTML.
 */
import { MODEL_ID_PATTERN } from '../../shared/model-id';

export type Inline =
  | { kind: 'text' | 'strong' | 'em' | 'code'; text: string }
  /** `[text](target)`: the text without its own markup, the target as written. */
  | { kind: 'link'; text: string; target: string };

/**
 * The model id a link opens when it points at a sibling model's card
 * (`../<model id>/MODEL_CARD.md`, optionally `./`-prefixed or with a #fragment); else null.
 * Only the id crosses to main (model:getCardById), never the path.
 */
export function siblingCardModelId(target: string): string | null {
  const match = /^(?:\.\/)?\.\.\/([^/\\]+)\/MODEL_CARD\.md(?:#[^/\\]*)?$/.exec(target.trim());
  if (!match) return null;
  return MODEL_ID_PATTERN.test(match[1]) ? match[1] : null;
}

const LINK = /\[([^\]]+)\]\(([^()\s]+)\)/g;

/** A link's text as shown: its own emphasis and code markers dropped. */
function linkText(text: string): string {
  return text.replace(/\*\*|`|(?<![\w])[*_]|[*_](?![\w])/g, '');
}

export type Block =
  | { kind: 'heading'; level: number; inlines: Inline[] }
  | { kind: 'paragraph'; inlines: Inline[] }
  | { kind: 'list'; items: Inline[][] }
  | { kind: 'code'; text: string }
  | { kind: 'table'; rows: string[][] };

export function parseInline(text: string): Inline[] {
  // Links first: their text may hold code or emphasis markers of its own.
  const inlines: Inline[] = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    const index = match.index ?? 0;
    if (index > last) inlines.push(...parseEmphasis(text.slice(last, index)));
    inlines.push({ kind: 'link', text: linkText(match[1]), target: match[2] });
    last = index + match[0].length;
  }
  if (last < text.length) inlines.push(...parseEmphasis(text.slice(last)));
  return inlines;
}

function parseEmphasis(text: string): Inline[] {
  const inlines: Inline[] = [];
  const pattern = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*\s][^*]*\*|_[^_\s][^_]*_)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const index = match.index ?? 0;
    if (index > last) inlines.push({ kind: 'text', text: text.slice(last, index) });
    const token = match[0];
    if (token.startsWith('**')) inlines.push({ kind: 'strong', text: token.slice(2, -2) });
    else if (token.startsWith('`')) inlines.push({ kind: 'code', text: token.slice(1, -1) });
    else inlines.push({ kind: 'em', text: token.slice(1, -1) });
    last = index + token.length;
  }
  if (last < text.length) inlines.push({ kind: 'text', text: text.slice(last) });
  return inlines;
}

export function parseMarkdown(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.length)
      blocks.push({ kind: 'paragraph', inlines: parseInline(paragraph.join(' ')) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('```')) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) code.push(lines[i]);
      blocks.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      blocks.push({ kind: 'heading', level: heading[1].length, inlines: parseInline(heading[2]) });
      continue;
    }
    if (/^\s*[-*+]\s+/.test(line) || /^\s*\d+\.\s+/.test(line)) {
      flush();
      const items: Inline[][] = [];
      for (
        ;
        i < lines.length && (/^\s*[-*+]\s+/.test(lines[i]) || /^\s*\d+\.\s+/.test(lines[i]));
        i++
      ) {
        items.push(parseInline(lines[i].replace(/^\s*([-*+]|\d+\.)\s+/, '')));
      }
      i--;
      blocks.push({ kind: 'list', items });
      continue;
    }
    if (/^\s*\|/.test(line)) {
      flush();
      const rows: string[][] = [];
      for (; i < lines.length && /^\s*\|/.test(lines[i]); i++) {
        if (/^\s*\|[\s:|-]+\|\s*$/.test(lines[i])) continue;
        rows.push(
          lines[i]
            .trim()
            .replace(/^\||\|$/g, '')
            .split('|')
            .map((cell) => cell.trim()),
        );
      }
      i--;
      blocks.push({ kind: 'table', rows });
      continue;
    }
    if (line.trim() === '') flush();
    else paragraph.push(line.trim());
  }
  flush();
  return blocks;
}
