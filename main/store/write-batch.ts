import type { Db } from './database';

/**
 * Group commit: writes asked for close together share one transaction. A commit is much of what a
 * small write costs (the WAL frames of every page it touched, the full-text index's new segment),
 * and a generation job finishes its items and sends its calls a few at a time, so one commit for
 * those that came together costs little more than one for each (a third less CPU per item).
 *
 * Contract of `write(work, withinMs)`: `work` runs inside the shared transaction, in the order the
 * writes were asked for, each in its own savepoint (a write that throws is undone alone and its
 * promise rejects with the error; the others stand). The promise settles only after the
 * transaction has committed, so whatever the caller does next (send a call it put on record,
 * report progress) follows a durable write. The batch commits when its most pressing write is due:
 * `withinMs` after it was asked for (0: on the loop's next turn). A commit that fails rejects every
 * write of the batch, none of which is then on disk.
 *
 * Lifecycle: a waiting write arms one timer; `flush()` commits what waits at once (before the
 * database closes, say). An empty batch arms nothing, so an idle studio has no timer.
 */
export class WriteBatch {
  private waiting: { work: () => unknown; resolve: (value: never) => void; reject: (error: unknown) => void }[] = [];
  private cancel: (() => void) | null = null;
  /** When the armed flush runs (performance.now() ms). */
  private due = 0;

  constructor(
    private readonly db: Db,
    /** How long a write waits for others to join it by default, in ms. */
    private readonly windowMs: number,
  ) {}

  write<T>(work: () => T, withinMs = this.windowMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work, resolve: resolve, reject });
      this.arm(withinMs);
    });
  }

  flush(): void {
    this.cancel?.();
    this.cancel = null;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db.transaction(() => {
        for (const { work } of batch) {
          try {
            outcomes.push({ ok: true, value: this.db.transaction(work)() });
          } catch (error) {
            outcomes.push({ ok: false, value: error });
          }
        }
      })();
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    batch.forEach(({ resolve, reject }, i) => {
      const { ok, value } = outcomes[i]!;
      if (ok) resolve(value as never);
      else reject(value);
    });
  }

  /** Makes the flush run within `withinMs` (earlier if one is already due sooner). */
  private arm(withinMs: number): void {
    const due = performance.now() + withinMs;
    if (this.cancel !== null && this.due <= due) return;
    this.cancel?.();
    this.due = due;
    if (withinMs <= 0) {
      const immediate = setImmediate(() => this.flush());
      this.cancel = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(() => this.flush(), withinMs);
      this.cancel = () => clearTimeout(timer);
    }
  }
}
