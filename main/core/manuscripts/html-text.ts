import { parse, type DefaultTreeAdapterTypes } from 'parse5';

type Node = DefaultTreeAdapterTypes.Node;

/**
 * (X)HTML → the studio's profile text: Markdown-style headings (`#`, `##`, `###`…) for h1–h6, one
 * paragraph per block element (p, li, blockquote, div with text of its own…), blank lines between
 * them, `<br>` kept as a line break. Everything else (images, scripts, styles, tables' layout) is
 * dropped; the words inside inline elements (em, span, a) are kept in place. Used for the chapters
 * of an EPUB and for what mammoth makes of a .docx, so both keep their chapters as headings, which
 * the chunker (profile-chunks.ts) keeps at the top of the chunk under them.
 *
 * Cost: linear in the document (parse5's tokenizer, one walk of an explicit stack, no recursion, so
 * a document nested a million levels deep cannot overflow the call stack).
 */
const BLOCKS = new Set([
  'p',
  'div',
  'li',
  'blockquote',
  'pre',
  'section',
  'article',
  'header',
  'footer',
  'aside',
  'figure',
  'figcaption',
  'dd',
  'dt',
  'tr',
  'td',
  'th',
  'table',
  'ul',
  'ol',
  'dl',
  'hr',
  'body',
  'main',
  'nav',
  'address',
  'caption',
  'center',
]);
const SKIPPED = new Set(['script', 'style', 'head', 'title', 'noscript', 'template', 'svg', 'math', 'img', 'object']);
const HEADING = /^h([1-6])$/;

export function htmlToProfileText(html: string): string {
  const document = parse(html);
  const blocks: string[] = [];
  let current = '';
  let headingLevel = 0;
  const flush = () => {
    const text = current
      .split('\n')
      .map((line) => line.replace(/[ \t\u00a0\r\f\v]+/g, ' ').trim())
      .filter((line, index, lines) => line !== '' || (index > 0 && index < lines.length - 1))
      .join('\n')
      .replace(/\n{2,}/g, '\n');
    if (text) {
      // A heading is one line: its own line breaks would make the chunker read it as a paragraph.
      blocks.push(headingLevel > 0 ? `${'#'.repeat(headingLevel)} ${text.replace(/\n/g, ' ')}` : text);
    }
    current = '';
    headingLevel = 0;
  };
  // Explicit stack of nodes to enter and block ends to close; a block's end flushes its text.
  const stack: (Node | { close: string })[] = [document];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ('close' in item) {
      flush();
      continue;
    }
    const node = item;
    if (node.nodeName === '#text') {
      current += (node as DefaultTreeAdapterTypes.TextNode).value.replace(/\s+/g, ' ');
      continue;
    }
    if (!('childNodes' in node)) continue;
    const name = node.nodeName.toLowerCase();
    if (SKIPPED.has(name)) continue;
    if (name === 'br') {
      current += '\n';
      continue;
    }
    const heading = HEADING.exec(name);
    const isBlock = heading !== null || BLOCKS.has(name);
    if (isBlock) {
      flush();
      if (heading) headingLevel = Number(heading[1]);
      stack.push({ close: name });
    }
    const children = 'content' in node && name === 'template' ? [] : node.childNodes;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  flush();
  return blocks.join('\n\n');
}
