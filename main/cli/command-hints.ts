import { UsageError } from './shared';
import { USAGE } from './usage';

/**
 * What an unknown command most likely meant, from the usage text itself (so a command added there
 * is known here): the words people type for the same thing in other tools (`create` for `add`,
 * `rm` for `delete`), then a slip of a letter or two.
 */
const SYNONYMS: Record<string, readonly string[]> = {
  add: ['create', 'new'],
  create: ['add', 'new', 'import'],
  new: ['create', 'add'],
  delete: ['remove', 'rm', 'del'],
  remove: ['delete', 'archive'],
  rm: ['delete', 'remove'],
  del: ['delete'],
  list: ['ls', 'show'],
  ls: ['list'],
  show: ['get', 'list'],
  get: ['show'],
  view: ['show'],
  edit: ['update', 'set'],
  update: ['edit', 'set'],
  rename: ['update', 'edit'],
  set: ['update', 'edit'],
  run: ['start'],
  start: ['run', 'resume'],
  check: ['test', 'doctor'],
};

/** The words the usage text lists after `prefix` (`providers` → list, add, update, …), in its order. */
export function commandWords(prefix: string): string[] {
  const words: string[] = [];
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // A command line starts with it; `jobs pause <job> | jobs cancel <job>` names two.
  const line = new RegExp(`(?:^ {2}|\\| )${escaped} ([a-z][a-z-]*)\\b`, 'gm');
  for (const match of USAGE.matchAll(line)) if (!words.includes(match[1]!)) words.push(match[1]!);
  return words;
}

/** The top-level commands the usage text lists. */
export function topCommands(): string[] {
  const words: string[] = [];
  for (const match of USAGE.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)) if (!words.includes(match[1]!)) words.push(match[1]!);
  return words;
}

/** Edits between two words (a letter added, dropped, changed, or two swapped), cut short past `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(
        rows[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row[j] = best;
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** The known word `typed` most likely meant, or null. */
export function closestWord(typed: string, known: readonly string[]): string | null {
  const word = typed.toLowerCase();
  if (known.includes(word)) return word;
  const synonym = SYNONYMS[word]?.find((s) => known.includes(s));
  if (synonym) return synonym;
  const limit = word.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const d = distance(word, candidate, limit);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  if (best) return best;
  // A word typed in full where the command is its start (`prof` → profiles) or the reverse.
  return known.find((k) => k.startsWith(word) || (word.startsWith(k) && k.length >= 3)) ?? null;
}

/**
 * The refusal of an unknown `<group> <sub>` (sub empty: none given), saying what was likely meant
 * and what the group has.
 */
export function unknownSubcommand(group: string, sub: string): UsageError {
  const known = commandWords(group);
  const listed = known.length > 0 ? ` The ${group} commands: ${known.join(', ')}.` : '';
  if (!sub) return new UsageError(`"${group}" needs a command.${listed}`);
  const meant = closestWord(sub, known);
  const guess = meant ? ` Did you mean: character-studio ${group} ${meant}?` : '';
  return new UsageError(`Unknown command "${group} ${sub}".${guess}${listed}`);
}

/** The refusal of an unknown top-level command, with the likeliest one. */
export function unknownCommand(command: string, next: string | undefined): UsageError {
  const meant = closestWord(command, topCommands());
  const typed = [command, next].filter(Boolean).join(' ');
  const guess = meant ? ` Did you mean: character-studio ${[meant, next].filter(Boolean).join(' ')}?` : '';
  return new UsageError(`Unknown command "${typed}".${guess}`);
}
