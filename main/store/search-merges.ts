import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { decodeStructure, nextMergeInputPages } from './fts5-structure';

/** FTS5's own `automerge` (and the value a table without the setting uses): merge a level at 4 segments. */
export const NORMAL_AUTOMERGE = 4;

/**
 * Leaf pages one 'merge' command writes (FTS5 checks after each term, so more when a common word's
 * whole list is merged): ~0.1 ms a page on a loaded core, so a slice stops close to its budget.
 */
export const MERGE_PAGES = 16;

/** FTS5's `usermerge` (left at its default): the fewest segments of a level a 'merge' command merges. */
const USERMERGE = 4;

/**
 * Input, in leaf pages, from which a 'merge' command runs in a slice of its own: FTS5 stops a merge
 * step only between terms, so a step over large segments merges the whole list of a word in nearly
 * every scene (or of a 1-character prefix: migration 023) at once, ~2,000 pages and ~25 ms at
 * 100,000 scenes. Such a step starts a slice rather than end one that has spent its time already.
 * About the input of the fourth level up at 100,000 scenes (4 segments of ~300 pages).
 */
export const LARGE_MERGE_INPUT_PAGES = 1_000;

/**
 * The dataset search index's segment merges (the FTS5 table `scene_search`, migrations 012 and
 * 023), run by a bulk write in bounded steps of its own instead of inside its commits.
 *
 * Why: FTS5 writes what a transaction indexed as a new segment when it commits and, with its
 * default `automerge` of 4, merges segments in that same commit: 64 × (levels of the index) leaf
 * pages each time another 64 have been written. At 100,000 scenes (7–8 levels) that is ~500 pages,
 * 30–40 ms of one import slice's COMMIT on the serving thread. An import `hold`s automatic merging
 * (automerge 0) while it copies and runs `mergeSlice` between its slices: the same merges (FTS5's
 * 'merge' command picks levels of at least `usermerge` = 4 segments, as automerge does),
 * `MERGE_PAGES` pages a command, while the slice's time lasts. Run until they find no work after
 * each slice, they keep every level under 4 segments (plus one merge in progress), far from the
 * 16 at which FTS5 merges a whole level in one commit (`crisismerge`, left as it is). Writes
 * beside the import (a job's) are merged by its slices too while it holds. A command whose input
 * is large (`LARGE_MERGE_INPUT_PAGES`, read from the index's structure record before each
 * command) runs as the only one of its slice, so its one long step is not added to others.
 *
 * Not on a worker thread with a connection of its own: tried, the import took 1.5× as long, as
 * each of that connection's commits emptied the serving connection's page cache.
 *
 * Lifecycle: automerge is a setting stored in the index (`scene_search_config`) and seen by every
 * connection, so it outlives a crash. `hold` runs in the transaction that marks an import
 * `copying`, `releaseIfIdle` in the one that ends the last copying import (finished or undone), and
 * `DatasetImportRepo.undoInterrupted`, at every open before the studio serves, undoes an import a
 * stop cut short and with it the hold.
 */

export class SearchMerges {
  constructor(
    private readonly db: Db,
    /** See `LARGE_MERGE_INPUT_PAGES` (tests make it small). */
    private readonly largeInputPages = LARGE_MERGE_INPUT_PAGES,
  ) {}

  /** Stops FTS5 merging segments inside commits. Idempotent; inside the caller's transaction. */
  hold(): void {
    this.set(0);
  }

  /** Gives merging back to FTS5's commits when no import is copying. Inside the caller's transaction. */
  releaseIfIdle(): void {
    const copying = this.db.prepare('SELECT 1 FROM dataset_imports WHERE copying = 1 LIMIT 1').get();
    if (copying === undefined && this.automerge() !== NORMAL_AUTOMERGE) this.set(NORMAL_AUTOMERGE);
  }

  /** The index's automerge setting now (FTS5's default when never set). */
  automerge(): number {
    const value = this.db.prepare("SELECT v FROM scene_search_config WHERE k = 'automerge'").pluck().get();
    return typeof value === 'number' ? value : NORMAL_AUTOMERGE;
  }

  /**
   * How long the last slice's commit took per ms of its merge commands (the commit writes every
   * page they merged to the log).
   */
  private commitRatio = 1;

  /**
   * Merges segments, `MERGE_PAGES` pages a command, in one transaction of about `budgetMs` in all,
   * its commit included (at least one command). Returns whether merge work may remain (the last
   * command found some); false when no level has enough segments to merge, which costs one read of
   * the index's structure record.
   */
  mergeSlice(budgetMs: number): boolean {
    const merge = this.db.prepare(`INSERT INTO scene_search (scene_search, rank) VALUES ('merge', ${MERGE_PAGES})`);
    const changes = this.db.prepare('SELECT total_changes()').pluck();
    const started = performance.now();
    // The commands get the share of the budget their commit leaves them.
    const deadline = started + budgetMs / (1 + this.commitRatio);
    let commandsEnded = started;
    const inputs: number[] = [];
    const worked = this.db.transaction(() => {
      const more = this.mergeCommands(merge, changes, deadline, (input) => inputs.push(input));
      commandsEnded = performance.now();
      return more;
    })();
    this.slices?.push(inputs);
    const commandsMs = commandsEnded - started;
    // A slice that found nothing to merge says nothing about commits.
    if (commandsMs > 0.5) this.commitRatio = (performance.now() - commandsEnded) / commandsMs;
    return worked;
  }

  /**
   * Runs 'merge' commands until one finds nothing to merge (false), or the deadline passes or a
   * large step has run (true: work is left). A large step runs only as the first of its slice.
   */
  private mergeCommands(merge: Statement, changes: Statement, deadline: number, ran: (input: number) => void): boolean {
    for (let first = true; ; first = false) {
      const input = this.nextInputPages();
      const large = input >= this.largeInputPages;
      if (large && !first) return true;
      const before = changes.get() as number;
      merge.run();
      ran(input);
      // FTS5's documented test: a 'merge' that merged nothing changes fewer than 2 rows.
      if ((changes.get() as number) - before < 2) return false;
      if (large || performance.now() >= deadline) return true;
    }
  }

  /**
   * Per slice, oldest first, the input pages of each command it ran (tests: a large step runs
   * alone); kept only when set to an array.
   */
  slices: number[][] | null = null;

  /** Leaf pages the next 'merge' command reads (FTS5's structure record: fts5-structure.ts). */
  nextInputPages(): number {
    const record = this.db.prepare('SELECT block FROM scene_search_data WHERE id = 10').pluck().get();
    if (!(record instanceof Uint8Array)) return 0;
    return nextMergeInputPages(decodeStructure(record), USERMERGE);
  }

  private set(automerge: 0 | typeof NORMAL_AUTOMERGE): void {
    // In the SQL, not bound: FTS5 takes only an integer value, and a JS number binds as a real.
    this.db.prepare(`INSERT INTO scene_search (scene_search, rank) VALUES ('automerge', ${automerge})`).run();
  }
}
