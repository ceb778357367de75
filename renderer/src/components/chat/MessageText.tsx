import { Fragment, memo, useMemo, type ReactNode } from 'react';
import { parseMarkdown, type Block } from '../../../../common/chat-markdown';
import { inlineText, type Inline } from '../../../../common/chat-markdown-inline';

/**
 * A message's text with its Markdown shown (common/chat-markdown.ts): React elements only, so text
 * that looks like HTML is shown as written. `tail` (the caret of a reply being written) ends the
 * last line rather than sitting under it. Memoized on the text: parsed again only when it grows.
 */
export const MessageText = memo(function MessageText({
  text,
  className,
  tail,
  testId,
}: {
  text: string;
  className: string;
  tail?: ReactNode;
  testId?: string;
}) {
  const blocks = useMemo(() => parseMarkdown(text), [text]);
  return (
    <div className={`md ${className}`} data-testid={testId}>
      {blocksOf(blocks, tail)}
    </div>
  );
});

/** Blocks as elements, `tail` put at the end of the last one that holds a line of text. */
function blocksOf(blocks: readonly Block[], tail: ReactNode): ReactNode {
  if (blocks.length === 0) return tail;
  return blocks.map((block, i) => (
    <Fragment key={i}>{blockOf(block, i === blocks.length - 1 ? tail : undefined)}</Fragment>
  ));
}

function blockOf(block: Block, tail: ReactNode): ReactNode {
  switch (block.kind) {
    case 'paragraph':
      return (
        <p>
          {inlines(block.content)}
          {tail}
        </p>
      );
    case 'heading':
      return (
        <p className={`md-heading md-h${block.level}`}>
          {inlines(block.content)}
          {tail}
        </p>
      );
    case 'list': {
      const items = block.items.map((item, i) => (
        <li key={i}>{blocksOf(item, i === block.items.length - 1 ? tail : undefined)}</li>
      ));
      return block.ordered ? <ol start={block.start === 1 ? undefined : block.start}>{items}</ol> : <ul>{items}</ul>;
    }
    case 'quote':
      return <blockquote>{blocksOf(block.blocks, tail)}</blockquote>;
    case 'code':
      return (
        <>
          <pre>
            <code>{block.text}</code>
          </pre>
          {tail}
        </>
      );
    case 'rule':
      return (
        <>
          <hr />
          {tail}
        </>
      );
  }
}

/** Emphasis inside emphasis deeper than this is drawn as its plain text (a page has a stack, too). */
const MAX_NESTING = 12;

function inlines(nodes: readonly Inline[], depth = 0): ReactNode {
  return nodes.map((node, i) => {
    switch (node.kind) {
      case 'text':
        return <Fragment key={i}>{node.text}</Fragment>;
      case 'code':
        return <code key={i}>{node.text}</code>;
      case 'em':
      case 'strong': {
        const Tag = node.kind;
        return <Tag key={i}>{depth < MAX_NESTING ? inlines(node.children, depth + 1) : inlineText(node.children)}</Tag>;
      }
    }
  });
}
