/** Chunk headings: which lines of a profile title what follows, and a chunk's heading for display. */

export const HEADING_MAX_CHARS = 90;

/**
 * A line that titles what follows rather than saying something: `## Life`, `1780–1792: Bonn`.
 * List items (`- Anna`) say something, however short.
 */
export function isHeadingLine(line: string): boolean {
  const trimmed = line.trim();
  if (trimmed.length === 0) return false;
  if (/^#{1,6}\s/.test(trimmed)) return true;
  if (trimmed.length > HEADING_MAX_CHARS || /^[-*+•]\s/.test(trimmed)) return false;
  return !/[.!?;,:"'”’)\]]$/.test(trimmed) || /^\d{3,4}\s*[–-]\s*\d{2,4}:/.test(trimmed);
}

/** The heading lines at the top of a chunk, for display; null when the chunk is plain prose. */
export function headingOf(chunk: string): string | null {
  const heading: string[] = [];
  let start = 0;
  for (let end = chunk.indexOf('\n'); end >= 0; start = end + 1, end = chunk.indexOf('\n', start)) {
    const line = chunk.slice(start, end);
    if (!isHeadingLine(line)) break;
    heading.push(line.trim().replace(/^#{1,6}\s+/, ''));
  }
  return heading.length > 0 ? heading.join(' · ') : null;
}
