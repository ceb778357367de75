import type { ItemFailure, ItemNote, JobId, JobStage } from '../../common/contract';
import type { Db } from './database';
import type { SceneWhere } from './scene-filter';
import { indexPendingSearchRows } from './search-deferral';

/**
 * The work items of jobs (`job_items`): planned once per key, taken while pending, done with the
 * call that did them or failed after bounded attempts. Its own repository because items are their
 * own table with their own life, and the job runner, the item pump and each job kind use them
 * apart from the job's row (status, claim, stop requests), which stays in `JobsRepo`; reach it as
 * `jobs.items`. What a job's row counts of its items (`item_counts`) is read there too
 * (job-figures.ts), as that column is the job's.
 */

export interface ItemRow {
  id: string;
  job_id: JobId;
  stage: JobStage;
  key: string;
  status: 'pending' | 'done' | 'failed';
  input: string;
  attempts: number;
  error: string | null;
  call_id: string | null;
  updated_at: number;
}

export interface NewItem {
  id: string;
  stage: JobStage;
  key: string;
  input: unknown;
}

/** Idempotent work items of jobs: each key once per job, and each state change one statement. */
export class JobItemsRepo {
  constructor(private readonly db: Db) {}

  /** Adds items whose key the job does not have yet; returns how many were new. */
  planItems(jobId: JobId, items: readonly NewItem[], now: number): number {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO job_items (id, job_id, stage, key, status, input, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
    );
    let added = 0;
    const plan = () => {
      for (const item of items)
        added += insert.run(item.id, jobId, item.stage, item.key, JSON.stringify(item.input), now).changes;
    };
    // Within the caller's transaction (a job's write, undone whole if it throws), no savepoint of its own.
    if (this.db.inTransaction) plan();
    else this.db.transaction(plan)();
    return added;
  }

  /**
   * Plans one item of `stage` per scene matching `where` (key `keyPrefix` + scene id, input
   * `{sceneId}`), in the scenes' order, in one statement: a bulk job over 100,000 scenes plans
   * without reading them into JavaScript. Returns how many were new.
   */
  planSceneItems(jobId: JobId, stage: JobStage, keyPrefix: string, where: SceneWhere, now: number): number {
    if (where.params['search'] !== undefined) indexPendingSearchRows(this.db);
    return this.db
      .prepare(
        `INSERT OR IGNORE INTO job_items (id, job_id, stage, key, status, input, updated_at)
         SELECT lower(hex(randomblob(16))), @jobId, @stage, @keyPrefix || id, 'pending', json_object('sceneId', id), @now
         FROM scenes WHERE ${where.sql} ORDER BY created_at, rowid`,
      )
      .run({ ...where.params, jobId, stage, keyPrefix, now }).changes;
  }

  pendingItems(jobId: JobId, stage: JobStage, limit: number, exclude: ReadonlySet<string>): ItemRow[] {
    const rows = this.db
      .prepare(`SELECT * FROM job_items WHERE job_id = ? AND stage = ? AND status = 'pending' ORDER BY rowid LIMIT ?`)
      .all(jobId, stage, limit + exclude.size) as ItemRow[];
    return rows.filter((row) => !exclude.has(row.id)).slice(0, limit);
  }

  /**
   * Pending items of the stage planned after `afterSeq` (their rowid, returned as `seq`), in plan
   * order: a scheduler that remembers the last item it issued reads only what is new, instead of
   * reading again every item it has in flight (in flight items stay `pending` until they end).
   * Only what sending an item takes: its id and input.
   */
  pendingItemsAfter(
    jobId: JobId,
    stage: JobStage,
    afterSeq: number,
    limit: number,
  ): (Pick<ItemRow, 'id' | 'input'> & { seq: number })[] {
    return this.db
      .prepare(
        `SELECT rowid AS seq, id, input FROM job_items WHERE job_id = ? AND stage = ? AND status = 'pending' AND rowid > ?
         ORDER BY rowid LIMIT ?`,
      )
      .all(jobId, stage, afterSeq, limit) as (Pick<ItemRow, 'id' | 'input'> & { seq: number })[];
  }

  countKeysWithPrefix(jobId: JobId, prefix: string): number {
    return this.db
      .prepare(`SELECT count(*) FROM job_items WHERE job_id = ? AND key >= ? AND key < ?`)
      .pluck()
      .get(jobId, prefix, prefix + '\uffff') as number;
  }

  /**
   * Marks an item done. `note`: what of its answer could not be used (kept in `error`, which a done
   * item otherwise leaves empty), listed by `itemNotes`.
   */
  completeItem(id: string, callId: string | null, now: number, note: string | null = null): void {
    this.db
      .prepare(
        `UPDATE job_items SET status = 'done', call_id = ?, error = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`,
      )
      .run(callId, note, now, id);
  }

  /** Where one item stands, or undefined when it is gone. */
  itemStatus(id: string): ItemRow['status'] | undefined {
    return this.db.prepare('SELECT status FROM job_items WHERE id = ?').pluck().get(id) as
      ItemRow['status'] | undefined;
  }

  /** Done items that carry a note: how many, and the latest `limit`. */
  itemNotes(jobId: JobId, limit: number): { count: number; notes: ItemNote[] } {
    const count = this.db
      .prepare(`SELECT count(*) FROM job_items WHERE job_id = ? AND status = 'done' AND error IS NOT NULL`)
      .pluck()
      .get(jobId) as number;
    if (count === 0) return { count, notes: [] };
    const notes = (
      this.db
        .prepare(
          `SELECT id, stage, error, updated_at FROM job_items
           WHERE job_id = ? AND status = 'done' AND error IS NOT NULL
           ORDER BY updated_at DESC, rowid DESC LIMIT ?`,
        )
        .all(jobId, limit) as { id: string; stage: JobStage; error: string; updated_at: number }[]
    ).map((r) => ({ itemId: r.id, stage: r.stage, text: r.error, at: r.updated_at }));
    return { count, notes };
  }

  /** Records a failed attempt; the item fails for good after `maxAttempts`. Returns its new status. */
  failAttempt(
    id: string,
    reason: string,
    maxAttempts: number,
    callId: string | null,
    now: number,
  ): 'pending' | 'failed' {
    const row = this.db.prepare('SELECT attempts FROM job_items WHERE id = ?').get(id) as
      { attempts: number } | undefined;
    const attempts = (row?.attempts ?? 0) + 1;
    const status = attempts >= maxAttempts ? 'failed' : 'pending';
    this.db
      .prepare(
        'UPDATE job_items SET status = ?, attempts = ?, error = ?, call_id = coalesce(?, call_id), updated_at = ? WHERE id = ?',
      )
      .run(status, attempts, reason, callId, now, id);
    return status;
  }

  /**
   * Gives items a fresh set of attempts: those that failed for good, and those waiting to run again
   * after a failed attempt (both are listed as failures). Returns how many.
   */
  retryFailed(jobId: JobId, itemId: string | undefined, now: number): number {
    const which = `status = 'failed' OR (status = 'pending' AND error IS NOT NULL)`;
    return itemId
      ? this.db
          .prepare(
            `UPDATE job_items SET status = 'pending', attempts = 0, updated_at = ? WHERE job_id = ? AND id = ? AND (${which})`,
          )
          .run(now, jobId, itemId).changes
      : this.db
          .prepare(
            `UPDATE job_items SET status = 'pending', attempts = 0, updated_at = ? WHERE job_id = ? AND (${which})`,
          )
          .run(now, jobId).changes;
  }

  /** The job's latest failed attempts (found by `job_items_with_error`: only items with an error). */
  recentFailures(jobId: JobId, limit: number): ItemFailure[] {
    return (
      this.db
        .prepare(
          `SELECT id, stage, status, error, updated_at FROM job_items
           WHERE job_id = ? AND error IS NOT NULL AND status IN ('pending', 'failed')
           ORDER BY updated_at DESC, rowid DESC LIMIT ?`,
        )
        .all(jobId, limit) as { id: string; stage: JobStage; status: string; error: string; updated_at: number }[]
    ).map((r) => ({ itemId: r.id, stage: r.stage, reason: r.error, at: r.updated_at, failed: r.status === 'failed' }));
  }

  /**
   * Closes a stage's pending items without a call, once what they were planned for is met (the
   * scene target): they count as done, with no call and no attempt. Returns how many.
   */
  skipPending(jobId: JobId, stage: JobStage, now: number): number {
    return this.db
      .prepare(
        `UPDATE job_items SET status = 'done', error = NULL, updated_at = ? WHERE job_id = ? AND stage = ? AND status = 'pending'`,
      )
      .run(now, jobId, stage).changes;
  }
}
