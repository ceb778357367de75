import type { ChunkId, ReviewStatus, SceneFilter, SceneKind, SceneSort } from '../../../common/contract';
import { str, UsageError, type CliContext } from '../shared';

export const STATUSES: readonly ReviewStatus[] = ['unreviewed', 'accepted', 'rejected'];
const KINDS: readonly SceneKind[] = ['normal', 'protective', 'hand', 'chat_correction'];
export const SORTS: readonly SceneSort[] = ['newest', 'oldest', 'turns', 'words', 'rating', 'chunk'];

/** `--rate`/`--rating`: 1–5, or `none`. */
export function ratingOf(text: string, flag: string): number | null {
  if (text === 'none') return null;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 5)
    throw new UsageError(`${flag} takes a whole number from 1 to 5, or none.`);
  return n;
}

function turnsOf(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} takes a whole number of turns, not "${text}".`);
  return n;
}

function oneOf<T extends string>(text: string, allowed: readonly T[], flag: string): T {
  if (!allowed.includes(text as T)) throw new UsageError(`Unknown ${flag} "${text}": use ${allowed.join(', ')}.`);
  return text as T;
}

/**
 * The Dataset tab's filter as options, for `review` and `scenes list` alike: --status, --rating,
 * --with-tag, --kind, --problems, --waiting, --search, --speaker, --chunk, --prompt-version,
 * --model, --min-turns, --max-turns.
 */
export function filterOptions({ values }: CliContext): SceneFilter {
  const filter: SceneFilter = {};
  const status = str(values, 'status');
  if (status !== undefined) filter.status = oneOf(status, STATUSES, '--status');
  const rating = str(values, 'rating');
  if (rating !== undefined) filter.rating = ratingOf(rating, '--rating');
  const kind = str(values, 'kind');
  if (kind !== undefined) filter.kind = oneOf(kind, KINDS, '--kind');
  if (values.problems) filter.problems = true;
  if (values.waiting) filter.waiting = true;
  const strings = [
    ['with-tag', 'tag'],
    ['search', 'search'],
    ['speaker', 'speaker'],
    ['prompt-version', 'promptVersion'],
    ['model', 'model'],
  ] as const;
  for (const [flag, key] of strings) {
    const value = str(values, flag);
    if (value !== undefined) filter[key] = value;
  }
  const chunk = str(values, 'chunk');
  if (chunk !== undefined) filter.chunkId = chunk as ChunkId;
  const minTurns = turnsOf(str(values, 'min-turns'), '--min-turns');
  if (minTurns !== undefined) filter.minTurns = minTurns;
  const maxTurns = turnsOf(str(values, 'max-turns'), '--max-turns');
  if (maxTurns !== undefined) filter.maxTurns = maxTurns;
  return filter;
}
