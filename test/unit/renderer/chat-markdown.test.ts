import { describe, expect, it } from 'vitest';
import {
  markdownSnippet,
  markdownText,
  markdownTitle,
  parseMarkdown,
  type Block,
  type Inline,
} from '../../../common/chat-markdown';

/**
 * The chat's Markdown: what each tricky message becomes, written as HTML-like text for reading
 * (the screen draws the same tree with React elements; text is escaped here as React escapes it).
 */
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const inline = (nodes: readonly Inline[]): string =>
  nodes
    .map((n) =>
      n.kind === 'text'
        ? escape(n.text)
        : n.kind === 'code'
          ? `<code>${escape(n.text)}</code>`
          : `<${n.kind}>${inline(n.children)}</${n.kind}>`,
    )
    .join('');
const block = (b: Block): string => {
  switch (b.kind) {
    case 'paragraph':
      return `<p>${inline(b.content)}</p>`;
    case 'heading':
      return `<h${b.level}>${inline(b.content)}</h${b.level}>`;
    case 'list': {
      const tag = b.ordered ? 'ol' : 'ul';
      const start = b.ordered && b.start !== 1 ? ` start="${b.start}"` : '';
      return `<${tag}${start}>${b.items.map((item) => `<li>${item.map(block).join('')}</li>`).join('')}</${tag}>`;
    }
    case 'quote':
      return `<blockquote>${b.blocks.map(block).join('')}</blockquote>`;
    case 'code':
      return `<pre>${escape(b.text)}</pre>`;
    case 'rule':
      return '<hr>';
  }
};
const md = (text: string) => parseMarkdown(text).map(block).join('');

describe('the chat Markdown', () => {
  it('shows role-play actions in italics, bold, and code', () => {
    expect(md('*smiles* Good evening. **Sit down**, please.')).toBe(
      '<p><em>smiles</em> Good evening. <strong>Sit down</strong>, please.</p>',
    );
    expect(md('"*whispers*" _quietly_ and `code` here')).toBe(
      '<p>"<em>whispers</em>" <em>quietly</em> and <code>code</code> here</p>',
    );
    expect(md('*He turns away.* "Leave me."')).toBe('<p><em>He turns away.</em> "Leave me."</p>');
  });

  it('leaves markers that never close as they were typed', () => {
    expect(md('*walks to the window')).toBe('<p>*walks to the window</p>');
    expect(md('**bold without end')).toBe('<p>**bold without end</p>');
    expect(md('an `unclosed code span')).toBe('<p>an `unclosed code span</p>');
    expect(md('***')).toBe('<hr>');
    expect(md('a ** b')).toBe('<p>a ** b</p>');
    expect(md('**')).toBe('<p>**</p>');
    // Overlapping runs pair as CommonMark pairs them, the nearest opener first.
    expect(md('*one **two* three**')).toBe('<p><em>one <em><em>two</em> three</em></em></p>');
  });

  it('keeps asterisks and underscores inside words and sums as text', () => {
    expect(md('5*3 is 15, and 5*3*2 is 30')).toBe('<p>5*3 is 15, and 5*3*2 is 30</p>');
    expect(md('2 * 3 * 4 = 24')).toBe('<p>2 * 3 * 4 = 24</p>');
    expect(md('snake_case_name and file*name*')).toBe('<p>snake_case_name and file*name*</p>');
    expect(md('a\\*b\\* escaped')).toBe('<p>a*b* escaped</p>');
    expect(md('\\*not italic\\*')).toBe('<p>*not italic*</p>');
  });

  it('nests emphasis and mixes it with code', () => {
    expect(md('***both***')).toBe('<p><em><strong>both</strong></em></p>');
    expect(md('*she says **never** again*')).toBe('<p><em>she says <strong>never</strong> again</em></p>');
    expect(md('**bold with *italic* inside**')).toBe('<p><strong>bold with <em>italic</em> inside</strong></p>');
    expect(md('*a `*b*` c*')).toBe('<p><em>a <code>*b*</code> c</em></p>');
    expect(md('``code with ` inside``')).toBe('<p><code>code with ` inside</code></p>');
  });

  it('splits paragraphs on blank lines and keeps single line breaks', () => {
    expect(md('First line\nsecond line\n\n\nNew paragraph')).toBe('<p>First line\nsecond line</p><p>New paragraph</p>');
    expect(md('*walks in\nand sits*')).toBe('<p><em>walks in\nand sits</em></p>');
    expect(md('\r\nWindows\r\n\r\nlines\r\n')).toBe('<p>Windows</p><p>lines</p>');
  });

  it('shows lists, nested ones, and numbers that only look like a list inside a paragraph', () => {
    expect(md('Three things:\n- the piano\n- the *pen*\n- the window')).toBe(
      '<p>Three things:</p><ul><li><p>the piano</p></li><li><p>the <em>pen</em></p></li><li><p>the window</p></li></ul>',
    );
    expect(md('1. one\n2. two\n   - two a\n   - two b\n3. three')).toBe(
      '<ol><li><p>one</p></li><li><p>two</p><ul><li><p>two a</p></li><li><p>two b</p></li></ul></li><li><p>three</p></li></ol>',
    );
    expect(md('3) third\n4) fourth')).toBe('<ol start="3"><li><p>third</p></li><li><p>fourth</p></li></ol>');
    expect(md('I was born in\n1809. It was cold.')).toBe('<p>I was born in\n1809. It was cold.</p>');
    expect(md('- item\ncontinued lazily\n\nAfter.')).toBe(
      '<ul><li><p>item\ncontinued lazily</p></li></ul><p>After.</p>',
    );
    expect(md('*smiles*\n* a bullet')).toBe('<p><em>smiles</em></p><ul><li><p>a bullet</p></li></ul>');
  });

  it('shows headings, quotes, fenced code and scene breaks', () => {
    expect(md('## Act *one*\nText')).toBe('<h2>Act <em>one</em></h2><p>Text</p>');
    expect(md('#hashtag')).toBe('<p>#hashtag</p>');
    expect(md('> *quoted*\n> still')).toBe('<blockquote><p><em>quoted</em>\nstill</p></blockquote>');
    expect(md('```js\nlet a = *b*;\n<b>\n```\nafter')).toBe('<pre>let a = *b*;\n&lt;b&gt;</pre><p>after</p>');
    expect(md('```\nstill being written')).toBe('<pre>still being written</pre>');
    expect(md('Scene one.\n\n***\n\nScene two.')).toBe('<p>Scene one.</p><hr><p>Scene two.</p>');
  });

  it('keeps text that looks like HTML as text', () => {
    const parsed = parseMarkdown('<img src=x onerror="alert(1)"> <b>bold?</b> &amp; <script>x</script>');
    expect(parsed).toEqual([
      {
        kind: 'paragraph',
        content: [{ kind: 'text', text: '<img src=x onerror="alert(1)"> <b>bold?</b> &amp; <script>x</script>' }],
      },
    ]);
    expect(md('[a link](javascript:alert(1))')).toBe('<p>[a link](javascript:alert(1))</p>');
  });

  it('gives the text a reader sees for a one-line preview', () => {
    expect(markdownText('*smiles* **Sit**, please.\n\n- one\n- `two`\n\n> quoted')).toBe(
      'smiles Sit, please. one two quoted',
    );
    expect(markdownText('5*3 and *unclosed')).toBe('5*3 and *unclosed');
  });

  it('shows titles without their marks, numbers as typed', () => {
    expect(markdownTitle('*waves* Are you **well**, `Herr` B?')).toBe('waves Are you well, Herr B?');
    expect(markdownTitle('5*3*2 candles and a *loose star')).toBe('5*3*2 candles and a *loose star');
    // A title is one line, not blocks: a leading dash or number is the title's own.
    expect(markdownTitle('- 1. Opus')).toBe('- 1. Opus');
  });

  it('shows search snippets without their marks, the matched words still marked', () => {
    const hit = (text: string) => ({ text, match: true });
    const plain = (text: string) => ({ text, match: false });
    // A mark around the match pairs up across the match's edges.
    expect(markdownSnippet([plain('…he *'), hit('waves'), plain('* and **plays** on')])).toEqual([
      plain('…he '),
      hit('waves'),
      plain(' and plays on'),
    ]);
    expect(markdownSnippet([plain('**'), hit('Sit'), plain(' down**, 5*3*2 '), hit('candles')])).toEqual([
      hit('Sit'),
      plain(' down, 5*3*2 '),
      hit('candles'),
    ]);
    // A mark the snippet's edge cut off stays as typed; so does a match that is all marks.
    expect(markdownSnippet([plain('slowly* he '), hit('plays')])).toEqual([plain('slowly* he '), hit('plays')]);
    expect(markdownSnippet([hit('5*3')])).toEqual([hit('5*3')]);
  });

  it('reads very long lines and many unmatched markers in linear time', () => {
    // Each of these is quadratic for a naive matcher (every closer searching back over every run):
    // at this size that is minutes, here it is milliseconds.
    const n = 60_000;
    const closers = 'a* '.repeat(n);
    expect(md(closers)).toBe(`<p>${closers.trim()}</p>`);
    const mixed = '_a '.repeat(n) + 'b* '.repeat(n);
    expect(md(mixed)).toBe(`<p>${mixed.trim()}</p>`);
    const pairs = '*a* '.repeat(n);
    expect(md(pairs)).toBe(`<p>${'<em>a</em> '.repeat(n).trim()}</p>`);
    // Nested as deep as it is written (MessageText draws past a depth as plain text).
    const deepNesting = 20_000;
    const nested = parseMarkdown('*a '.repeat(deepNesting) + 'b' + ' c*'.repeat(deepNesting));
    let depth = 0;
    for (let node = nested[0]?.kind === 'paragraph' ? nested[0].content[0] : undefined; node?.kind === 'em';) {
      depth++;
      node = node.children.find((c) => c.kind === 'em') ?? node.children[0];
    }
    expect(depth).toBe(deepNesting);
    // An unclosed run of two backticks, then single ones that pair among themselves.
    const backticks = '``x ' + '`y` '.repeat(20_000);
    expect(md(backticks)).toBe(`<p>\`\`x ${'<code>y</code> '.repeat(20_000).trim()}</p>`);
    const deep = '>'.repeat(n) + ' deep';
    expect(md(deep)).toContain('deep');
    const bullets = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i * 2)}- level ${i}`).join('\n');
    expect(md(bullets)).toContain('level 199');
  });
});
