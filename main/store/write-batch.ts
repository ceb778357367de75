import type { Db } from './database';
import { deferringSearchRows, indexPendingSearchRows } from './search-deferral';
import { SearchMerges } from './search-merges';

/** The merge steps of the search index one turn of the loop runs (search-merges.ts), in ms. */
const MERGE_SLICE_MS = 10;

/** How long the batch stays idle before the search rows its writes left noted are written (search-deferral.ts). */
const SEARCH_ROWS_IDLE_MS = 1_000;

/** A write waiting for its commit (see `WriteBatch.write`). */
interface Waiting {
  work: () => unknown;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
  undone: (() => void) | undefined;
}

/**
 * Group commit: writes asked for close together share one transaction. A commit is much of what a
 * small write costs (the WAL frames of every page it touched, the full-text index's new segment),
 * and a generation job finishes its items and sends its calls a few at a time, so one commit for
 * those that came together costs little more than one for each (a third less CPU per item).
 *
 * Contract of `write(work, withinMs, undone)`: `work` runs inside the shared transaction, in the
 * order the writes were asked for. A write that throws is undone alone and its promise rejects with
 * the error; the others stand. The promise settles only after the transaction has committed, so
 * whatever the caller does next (send a call it put on record, report progress) follows a durable
 * write. The batch commits when its most pressing write is due: `withinMs` after it was asked for
 * (0: on the loop's next turn). A commit that fails rejects every write of the batch, none of which
 * is then on disk.
 *
 * Writes run bare, without a savepoint each: a savepoint copies every page its write touches before
 * changing it, in case it is rolled back, and two per job item cost a generation job ~7% of its CPU.
 * When a write throws, the whole transaction is rolled back and the same writes run again, each in a
 * savepoint this time, so the one that throws is undone alone. So a `work` may run more than once:
 * it must leave nothing outside the database that a second run would double, but what `undone`
 * takes back. `undone` is called whenever the work's writes have been rolled back: it threw, the
 * commit failed, or the commit was rolled back to run the writes again (then every work's `undone`
 * is called, the last one's first, before they run again). Its promise settles with the last run.
 *
 * A batch that comes due commits in slices of at most `sliceMs` of work (at least one write each),
 * the next slice on the loop's next turn: sixteen answers landing together cost a generation job
 * 15–30 ms of writes, which in one stretch would hold the serving loop past its 50 ms goal on a
 * busy machine. A write still waits for nothing but its own slice's commit.
 *
 * With `deferSearchRows`, the batch's writes leave their search rows noted rather than written (search-deferral.ts): they
 * are written in the commit that brings the notes to `PENDING_ROWS`, or once the batch has been
 * idle for `SEARCH_ROWS_IDLE_MS`, or by the first search that comes before either.
 *
 * Lifecycle: a waiting write arms one timer; `flush()` commits everything waiting at once, in one
 * transaction, and writes the noted search rows (before the database closes, say). An empty batch
 * arms nothing, so an idle studio has no timer but, for a second after its last write, the one
 * that writes the search rows (unref'd: a process may end without it, and the next open writes them).
 */
export class WriteBatch {
  private waiting: Waiting[] = [];
  private cancel: (() => void) | null = null;
  /** When the armed flush runs (performance.now() ms). */
  private due = 0;

  /** How long a write waits for others to join it by default, in ms. */
  private readonly windowMs: number;
  /** The most work one commit of a due batch runs before the rest goes on the next turn, in ms. */
  private readonly sliceMs: number;
  /** Whether its writes defer their search rows (search-deferral.ts): the studio's database only. */
  private readonly deferSearchRows: boolean;
  /** The search index's merges, run after the rows the batch writes (`deferSearchRows` only). */
  private readonly merges: SearchMerges;

  constructor(
    private readonly db: Db,
    options: { windowMs: number; sliceMs?: number; deferSearchRows?: boolean },
  ) {
    this.windowMs = options.windowMs;
    this.sliceMs = options.sliceMs ?? 10;
    this.deferSearchRows = options.deferSearchRows ?? false;
    this.merges = new SearchMerges(db);
    // Rows noted by a process that stopped before writing them (or is still writing: then it, or
    // the next search, writes them).
    if (this.deferSearchRows) this.indexSearchRows();
  }

  write<T>(work: () => T, withinMs = this.windowMs, undone?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work, resolve: resolve, reject, undone });
      this.arm(withinMs);
    });
  }

  flush(): void {
    this.cancel?.();
    this.cancel = null;
    // Merges left are no one's debt: the next rows written arm them again.
    if (this.merging !== null) clearImmediate(this.merging);
    this.merging = null;
    this.commit(Infinity);
    if (this.deferSearchRows) this.indexSearchRows();
  }

  /** The armed flush: one slice of work, the rest on the next turn. */
  private flushSlice(): void {
    this.cancel = null;
    this.commit(performance.now() + this.sliceMs);
    if (this.waiting.length > 0) this.arm(0);
  }

  /**
   * Runs waiting writes in one transaction until `deadline` (performance.now() ms) has passed, then
   * commits them: bare first, and if one throws, all of them again, each in its own savepoint.
   */
  private commit(deadline: number): void {
    const batch: Waiting[] = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    let guarded = false;
    let workFailed = false;
    let pending = 0;
    let wrote = false;
    const writes = (): void => {
      outcomes.length = 0;
      // The writes already taken (when they run again), then more while the slice lasts.
      for (let i = 0; ; i++) {
        let next = batch[i];
        if (next === undefined) {
          if (i > 0 && performance.now() >= deadline) break;
          next = this.waiting.shift();
          if (next === undefined) break;
          batch.push(next);
        }
        if (!guarded) {
          try {
            outcomes.push({ ok: true, value: next.work() });
          } catch (error) {
            workFailed = true;
            throw error;
          }
          continue;
        }
        try {
          outcomes.push({ ok: true, value: this.db.transaction(next.work)() });
        } catch (error) {
          outcomes.push({ ok: false, value: error });
          next.undone?.();
        }
      }
    };
    for (;;) {
      try {
        this.db.transaction(() => {
          if (this.deferSearchRows) ({ pending, wrote } = deferringSearchRows(this.db, writes));
          else writes();
        })();
        break;
      } catch (error) {
        // Everything the writes that ran did is rolled back: the one that threw too.
        const ran = Math.min(batch.length, outcomes.length + (workFailed ? 1 : 0));
        for (let i = ran - 1; i >= 0; i--) if (!guarded || outcomes[i]?.ok) batch[i]!.undone?.();
        if (workFailed && !guarded) {
          guarded = true;
          continue;
        }
        for (const { reject } of batch) reject(error);
        return;
      }
    }
    if (pending > 0) this.armSearchRows();
    if (wrote) this.armMerges();
    batch.forEach(({ resolve, reject }, i) => {
      const { ok, value } = outcomes[i]!;
      if (ok) resolve(value as never);
      else reject(value);
    });
  }

  private searchRowsTimer: NodeJS.Timeout | null = null;

  /** Writes the noted search rows once no write has come for `SEARCH_ROWS_IDLE_MS`. */
  private armSearchRows(): void {
    if (this.searchRowsTimer) this.searchRowsTimer.refresh();
    else {
      this.searchRowsTimer = setTimeout(() => this.indexSearchRows(), SEARCH_ROWS_IDLE_MS);
      // Left noted when the process ends first: the next open writes them.
      this.searchRowsTimer.unref();
    }
  }

  private indexSearchRows(): void {
    if (this.searchRowsTimer) clearTimeout(this.searchRowsTimer);
    this.searchRowsTimer = null;
    try {
      if (indexPendingSearchRows(this.db)) this.armMerges();
    } catch {
      // The database closed under the timer, or is busy: the next search or open writes them.
    }
  }

  private merging: NodeJS.Immediate | null = null;

  /**
   * Merges the search index's segments that the search rows' writes left unmerged
   * (search-deferral.ts): `MERGE_SLICE_MS` of merge steps a turn of the loop, until none is left.
   */
  private armMerges(): void {
    if (this.merging !== null) return;
    this.merging = setImmediate(() => {
      this.merging = null;
      let more = false;
      try {
        more = this.merges.mergeSlice(MERGE_SLICE_MS);
      } catch {
        // The database closed, or another process holds it: the next rows written arm this again.
      }
      if (more) this.armMerges();
    });
    this.merging.unref();
  }

  /** Makes the flush run within `withinMs` (earlier if one is already due sooner). */
  private arm(withinMs: number): void {
    const due = performance.now() + withinMs;
    if (this.cancel !== null && this.due <= due) return;
    this.cancel?.();
    this.due = due;
    if (withinMs <= 0) {
      const immediate = setImmediate(() => this.flushSlice());
      this.cancel = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(() => this.flushSlice(), withinMs);
      this.cancel = () => clearTimeout(timer);
    }
  }
}
