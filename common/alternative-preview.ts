import { markdownText } from './chat-markdown';

/** How many characters an alternative's preview keeps at most, "…" included. */
export const ALTERNATIVE_PREVIEW_CHARS = 80;
/** How much of a text is read for its preview: its start is enough, however long the reply. */
const READ_CHARS = ALTERNATIVE_PREVIEW_CHARS * 8;

/**
 * The first words of a message as a reader sees them, on one line: Markdown marks left out, line
 * breaks and runs of white space made single spaces, clipped to ALTERNATIVE_PREVIEW_CHARS (at a
 * word's end when one is near) with "…". Empty for a text that says nothing.
 */
export function alternativePreview(text: string): string {
  const line = markdownText(text.slice(0, READ_CHARS)).replace(/\s+/g, ' ').trim();
  const chars = Array.from(line);
  // Whole when it fits and nothing was left unread.
  if (chars.length <= ALTERNATIVE_PREVIEW_CHARS && text.length <= READ_CHARS) return line;
  let cut = chars.slice(0, ALTERNATIVE_PREVIEW_CHARS - 1).join('');
  const space = cut.lastIndexOf(' ');
  if (space >= ALTERNATIVE_PREVIEW_CHARS * 0.6) cut = cut.slice(0, space);
  return `${cut.trimEnd()}…`;
}
