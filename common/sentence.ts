/**
 * Composing messages for people out of other messages. A message we wrap (an SDK's "Connection
 * error.", a child process's last stderr line, another failure's text) may or may not end with a
 * full stop; the sentence around it decides the punctuation, so it never reads "error.. Check".
 */

/**
 * `text` trimmed, without the full stops (and trailing spaces) that close it, ready to be followed
 * by the writer's own punctuation: "Connection error." → "Connection error". An ellipsis ("…",
 * "...") and "?" / "!" are kept, since they carry meaning.
 */
export function clause(text: string): string {
  const trimmed = text.trim();
  if (/(\.\.\.|…)$/.test(trimmed)) return trimmed;
  return trimmed.replace(/[.\s]+$/, '');
}

/** The text of any thrown value, without the "Error: " prefix `String(error)` would add. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
