import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

/**
 * The write work of an import's copy into the store, as functions both the import's writer thread
 * (import-writer.ts) and the studio's own connection (ImportStage, for a copy without a thread and
 * for undoing one whose thread died) run: the thread's source is built from these functions' text.
 *
 * Contract, for that reason: each function uses only its parameters and JavaScript's globals (no
 * import, no other function of this module by name: a bundle may rename those); what it needs
 * comes in as arguments. Each runs one transaction, begun IMMEDIATE: it takes the write lock when
 * it starts (waiting `busy_timeout` for another writer), so it never fails halfway on finding that
 * another connection wrote since its first read.
 */

/** The parameters of a copy slice's statements: the scenes with ordinals in (after, upTo]. */
export interface CopyParams {
  characterId: string;
  importId: string;
  now: number;
  after: number;
  upTo: number;
}

/**
 * Copies staged scenes after `params.after`, `step` at a time, in one transaction, while
 * `more(copied)` (scenes copied by this call so far) says so (at least one step); returns the last
 * ordinal copied (at most `last`, the last staged). `params` is left at the next step.
 */
export function copySteps(
  db: Db,
  statements: readonly Statement[],
  params: CopyParams,
  step: number,
  last: number,
  more: (copied: number) => boolean,
): number {
  const after = params.after;
  return db
    .transaction(() => {
      do {
        params.upTo = params.after + step;
        for (const statement of statements) statement.run(params);
        params.after = params.upTo;
      } while (params.after < last && more(params.after - after));
      return Math.min(params.after, last);
    })
    .immediate();
}

/**
 * Removes copied scenes, last first, `step` a statement (`remove`: the scenes with ordinals in
 * (from, to]), in one transaction while `more()` says so (at least one step); returns the last
 * ordinal still in the store.
 */
export function undoSteps(db: Db, remove: Statement, upTo: number, step: number, more: () => boolean): number {
  return db
    .transaction(() => {
      let left = upTo;
      while (left > 0) {
        remove.run(Math.max(0, left - step), left);
        left = Math.max(0, left - step);
        if (!more()) break;
      }
      return left;
    })
    .immediate();
}

/** What a merge slice needs besides the connection (search-merges.ts says why each). */
export interface MergeSettings {
  /** Leaf pages one 'merge' command writes. */
  mergePages: number;
  /** Input, in leaf pages, from which a command runs in a slice of its own. */
  largeInputPages: number;
  /** Leaf pages the next 'merge' command reads (from the index's structure record). */
  nextInputPages: () => number;
  /** Told each command's input pages (tests). */
  ran?: (inputPages: number) => void;
}

/**
 * Merges the search index's segments, `mergePages` pages a command, in one transaction of about
 * `budgetMs` in all, its commit included (at least one command); `state.commitRatio` (how long the
 * last commit took per ms of its commands) is read and updated. Returns whether merge work may
 * remain (the last command found some).
 */
export function mergeSteps(db: Db, state: { commitRatio: number }, budgetMs: number, settings: MergeSettings): boolean {
  const merge = db.prepare(`INSERT INTO scene_search (scene_search, rank) VALUES ('merge', ${settings.mergePages})`);
  const changes = db.prepare('SELECT total_changes()').pluck();
  const started = performance.now();
  // The commands get the share of the budget their commit leaves them.
  const deadline = started + budgetMs / (1 + state.commitRatio);
  let commandsEnded = started;
  const worked = db
    .transaction(() => {
      let more = true;
      for (let first = true; ; first = false) {
        const input = settings.nextInputPages();
        const large = input >= settings.largeInputPages;
        if (large && !first) break;
        const before = changes.get() as number;
        merge.run();
        settings.ran?.(input);
        // FTS5's documented test: a 'merge' that merged nothing changes fewer than 2 rows.
        if ((changes.get() as number) - before < 2) {
          more = false;
          break;
        }
        if (large || performance.now() >= deadline) break;
      }
      commandsEnded = performance.now();
      return more;
    })
    .immediate();
  const commandsMs = commandsEnded - started;
  // A slice that found nothing to merge says nothing about commits.
  if (commandsMs > 0.5) state.commitRatio = (performance.now() - commandsEnded) / commandsMs;
  return worked;
}
