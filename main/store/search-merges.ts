import type { Db } from './database';
import { decodeStructure, nextMergeInputPages } from './fts5-structure';
import { mergeSteps } from './import-steps';

/** FTS5's own `automerge` (and the value a table without the setting uses): merge a level at 4 segments. */
export const NORMAL_AUTOMERGE = 4;

/**
 * Leaf pages one 'merge' command writes (FTS5 checks after each term, so more when a common word's
 * whole list is merged): ~0.1 ms a page on a loaded core, so a slice stops close to its budget.
 */
export const MERGE_PAGES = 16;

/** FTS5's `usermerge` (left at its default): the fewest segments of a level a 'merge' command merges. */
export const USERMERGE = 4;

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
 * An import runs them on its writer thread with the copy (import-writer.ts): run there alone, with
 * the copy's slices still on the serving connection, the import took 1.5× as long, as each of the
 * thread's commits emptied the serving connection's page cache, which the copy then read again.
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

  /** Sets automerge back to what `automerge()` read before a `hold`. Inside the caller's transaction. */
  restore(automerge: number): void {
    this.set(automerge);
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

  /** How long the last slice's commit took per ms of its merge commands (import-steps.ts, `mergeSteps`). */
  private readonly state = { commitRatio: 1 };

  /**
   * Merges segments, `MERGE_PAGES` pages a command, in one transaction of about `budgetMs` in all,
   * its commit included (at least one command). Returns whether merge work may remain (the last
   * command found some); false when no level has enough segments to merge, which costs one read of
   * the index's structure record. The import's writer thread runs the same steps (import-writer.ts).
   */
  mergeSlice(budgetMs: number): boolean {
    const inputs: number[] = [];
    const worked = mergeSteps(this.db, this.state, budgetMs, {
      mergePages: MERGE_PAGES,
      largeInputPages: this.largeInputPages,
      nextInputPages: () => this.nextInputPages(),
      ran: (input) => inputs.push(input),
    });
    this.slices?.push(inputs);
    return worked;
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

  private set(automerge: number): void {
    // In the SQL, not bound: FTS5 takes only an integer value, and a JS number binds as a real.
    this.db
      .prepare(`INSERT INTO scene_search (scene_search, rank) VALUES ('automerge', ${Math.trunc(automerge)})`)
      .run();
  }
}
