import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, siblingCardModelId } from './markdown';

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

  it('parses links, with their text free of its own markup, beside emphasis', () => {
    expect(parseInline('see [paper](https://x.org) and **this**')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'paper', target: 'https://x.org' },
      { kind: 'text', text: ' and ' },
      { kind: 'strong', text: 'this' },
    ]);
    // The bundled v2 card's line: the link text is code-formatted.
    expect(
      parseInline('lung segmenter [`lungseg-unet-v1`](../lungseg-unet-v1/MODEL_CARD.md) -> gate'),
    ).toEqual([
      { kind: 'text', text: 'lung segmenter ' },
      { kind: 'link', text: 'lungseg-unet-v1', target: '../lungseg-unet-v1/MODEL_CARD.md' },
      { kind: 'text', text: ' -> gate' },
    ]);
  });
});

describe('sibling model card links', () => {
  it('name a model id only for ../<id>/MODEL_CARD.md', () => {
    expect(siblingCardModelId('../lungseg-unet-v1/MODEL_CARD.md')).toBe('lungseg-unet-v1');
    expect(siblingCardModelId('./../covidnet-cxr-lungs-v2/MODEL_CARD.md#metrics')).toBe(
      'covidnet-cxr-lungs-v2',
    );
  });

  it('never for other files, other folders, URLs or traversal', () => {
    for (const target of [
      'https://example.org/MODEL_CARD.md',
      '../lungseg-unet-v1/model.json',
      '../../etc/MODEL_CARD.md',
      '../a/b/MODEL_CARD.md',
      '../../MODEL_CARD.md',
      '../.hidden/MODEL_CARD.md',
      '..\\\\x\\\\MODEL_CARD.md',
      'lungseg-unet-v1/MODEL_CARD.md',
      'file:///etc/passwd',
    ]) {
      expect(siblingCardModelId(target), target).toBeNull();
    }
  });
});
