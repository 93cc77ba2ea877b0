import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown } from './markdown';

describe('safe markdown', () => {
  it('parses headings, paragraphs, lists, code and tables', () => {
    const blocks = parseMarkdown(
      '# Card\n\nSome **bold** text\nwrapped.\n\n- one\n- `two`\n\n```\n<script>x</script>\n```\n| a | b |\n|---|---|\n| 1 | 2 |\n',
    );
    expect(blocks.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'list', 'code', 'table']);
    expect(blocks[1]).toEqual({
      kind: 'paragraph',
      inlines: [
        { kind: 'text', text: 'Some ' },
        { kind: 'strong', text: 'bold' },
        { kind: 'text', text: ' text wrapped.' },
      ],
    });
    expect(blocks[3]).toEqual({ kind: 'code', text: '<script>x</script>' });
    expect(blocks[4]).toEqual({
      kind: 'table',
      rows: [
        ['a', 'b'],
        ['1', '2'],
      ],
    });
  });
  it('keeps link targets visible as text', () => {
    expect(parseInline('see [paper](https://x.org)')).toEqual([
      { kind: 'text', text: 'see paper <https://x.org>' },
    ]);
  });
});
