import type {
  CharacterId,
  ItemFailure,
  ItemNote,
  JobId,
  JobKindName,
  JobStage,
  JobStatus,
} from '../../common/contract';
import { CallRecordsRepo } from './call-records-repo';
import type { Db } from './database';
import { idsStartingWith } from './id-match';
import { failedItemsOf, stageCountsOf, type ItemCounts, type JobFigureColumns } from './job-figures';
import { SettingsFiller, type JobSettingsDefaults } from './job-settings';
import type { SceneWhere } from './scene-filter';

export interface JobRow extends JobFigureColumns {
  id: JobId;
  character_id: CharacterId;
  kind: JobKindName;
  status: JobStatus;
  stage: JobStage | null;
  settings: string;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  message: string | null;
  runner: string | null;
  heartbeat_at: number | null;
  /** A stop asked for by another process, not yet taken by the runner (migration 031). */
  stop_request: 'paused' | 'cancelled' | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

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

/** Jobs and their idempotent work items; `callRecords` is the log of LLM calls (call-records-repo.ts). */
export class JobsRepo {
  /** The log of LLM calls, of jobs and of requests outside any job. */
  readonly callRecords: CallRecordsRepo;
  private readonly settingsFiller: SettingsFiller;

  constructor(
    private readonly db: Db,
    settingsDefaults: JobSettingsDefaults = {},
  ) {
    this.callRecords = new CallRecordsRepo(db);
    this.settingsFiller = new SettingsFiller(settingsDefaults);
  }

  /** A new `queued` job; `kind` defaults to a generation run. */
  insertJob(job: { id: JobId; characterId: CharacterId; kind?: JobKindName; settings: unknown }, now: number): void {
    this.db
      .prepare(
        `INSERT INTO jobs (id, character_id, kind, status, stage, settings, created_at, updated_at)
         VALUES (?, ?, ?, 'queued', NULL, ?, ?, ?)`,
      )
      .run(job.id, job.characterId, job.kind ?? 'generation', JSON.stringify(job.settings), now, now);
  }

  job(id: JobId): JobRow | undefined {
    return this.completed(this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined);
  }

  jobsFor(characterId: CharacterId): JobRow[] {
    return (
      this.db
        .prepare('SELECT * FROM jobs WHERE character_id = ? ORDER BY created_at DESC, rowid DESC')
        .all(characterId) as JobRow[]
    ).map((row) => this.completed(row));
  }

  /** The character's latest job of `kind` not yet at an end (queued, running, paused or interrupted). */
  unfinishedFor(characterId: CharacterId, kind: JobKindName): JobRow | undefined {
    return this.completed(
      this.db
        .prepare(
          `SELECT * FROM jobs WHERE character_id = ? AND kind = ? AND status IN ('queued', 'running', 'paused', 'interrupted')
         ORDER BY created_at DESC LIMIT 1`,
        )
        .get(characterId, kind) as JobRow | undefined,
    );
  }

  /** The character's latest job of any kind, or undefined. */
  latestFor(characterId: CharacterId): JobRow | undefined {
    return this.completed(
      this.db
        .prepare('SELECT * FROM jobs WHERE character_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1')
        .get(characterId) as JobRow | undefined,
    );
  }

  setStatus(id: JobId, status: JobStatus, message: string | null, now: number): void {
    const finished = status === 'succeeded' || status === 'failed' || status === 'cancelled' ? now : null;
    this.db
      .prepare(
        'UPDATE jobs SET status = ?, message = ?, updated_at = ?, finished_at = ?, stop_request = NULL WHERE id = ?',
      )
      .run(status, message, now, finished, id);
  }

  setStage(id: JobId, stage: JobStage | null, now: number): void {
    this.db.prepare('UPDATE jobs SET stage = ?, updated_at = ? WHERE id = ?').run(stage, now, id);
  }

  /** Work whose runner stopped beating (a crash or quit) becomes resumable. */
  markInterrupted(now: number, staleAfterMs: number): number {
    return this.db
      .prepare(
        `UPDATE jobs SET status = 'interrupted', runner = NULL,
           message = 'Stopped when the studio closed; resume to continue where it left off.', updated_at = ?
         WHERE status IN ('running', 'queued') AND (heartbeat_at IS NULL OR heartbeat_at < ?)`,
      )
      .run(now, now - staleAfterMs).changes;
  }

  /** Claims the job for this process unless another live runner holds it. */
  claim(id: JobId, runner: string, now: number, staleAfterMs: number): boolean {
    return (
      this.db
        .prepare(
          `UPDATE jobs SET runner = ?, heartbeat_at = ? WHERE id = ?
           AND (runner IS NULL OR runner = ? OR heartbeat_at IS NULL OR heartbeat_at < ? OR status != 'running')`,
        )
        .run(runner, now, id, runner, now - staleAfterMs).changes > 0
    );
  }

  runningJobs(): JobRow[] {
    return (this.db.prepare(`SELECT * FROM jobs WHERE status IN ('running', 'queued')`).all() as JobRow[]).map((row) =>
      this.completed(row),
    );
  }

  /** The row with its settings whole (`SettingsFiller`: filled once per stored text, not per read). */
  private completed<R extends JobRow | undefined>(row: R): R {
    return row && this.settingsFiller.complete(row);
  }

  matchIds(key: string): { id: JobId; characterId: CharacterId }[] {
    return idsStartingWith(this.db, 'jobs', key);
  }

  /** Drops a dead runner's claim so the job is interrupted and can be claimed again. */
  forgetRunner(id: JobId): void {
    this.db.prepare('UPDATE jobs SET runner = NULL, heartbeat_at = NULL WHERE id = ?').run(id);
  }

  /**
   * Asks the process running the job to stop it as `status` (cross-process pause or cancel); the
   * message says so meanwhile. False when the job is not running (any more).
   */
  requestStop(id: JobId, status: 'paused' | 'cancelled', message: string, now: number): boolean {
    return (
      this.db
        .prepare(`UPDATE jobs SET stop_request = ?, message = ?, updated_at = ? WHERE id = ? AND status = 'running'`)
        .run(status, message, now, id).changes > 0
    );
  }

  /**
   * The jobs running under another runner than `runner`, each with a fingerprint of what its
   * progress shows (status, item counts, tokens, message): it changes whenever the job moves.
   */
  otherRuns(runner: string): { id: JobId; fingerprint: string }[] {
    return this.db
      .prepare(
        `SELECT id, status || '|' || item_counts || '|' || prompt_tokens || '|' || completion_tokens || '|' ||
           coalesce(message, '') AS fingerprint
         FROM jobs WHERE status = 'running' AND (runner IS NULL OR runner != ?)`,
      )
      .all(runner) as { id: JobId; fingerprint: string }[];
  }

  /** The stop asked for the job this runner runs, taken (cleared) as it is read; null when none. */
  takeStopRequest(id: JobId, runner: string): 'paused' | 'cancelled' | null {
    // Read first: the check runs every second, and a write (taking the lock) only when there is one.
    const asked = this.db
      .prepare('SELECT stop_request FROM jobs WHERE id = ? AND runner = ?')
      .pluck()
      .get(id, runner) as 'paused' | 'cancelled' | null | undefined;
    if (!asked) return null;
    this.db.prepare('UPDATE jobs SET stop_request = NULL WHERE id = ? AND runner = ?').run(id, runner);
    return asked;
  }

  heartbeat(id: JobId, runner: string, now: number): void {
    this.db.prepare('UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND runner = ?').run(now, id, runner);
  }

  release(id: JobId, runner: string): void {
    this.db.prepare('UPDATE jobs SET runner = NULL, heartbeat_at = NULL WHERE id = ? AND runner = ?').run(id, runner);
  }

  addUsage(id: JobId, promptTokens: number, completionTokens: number, costUsd: number): void {
    this.db
      .prepare(
        'UPDATE jobs SET prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?, cost_usd = cost_usd + ? WHERE id = ?',
      )
      .run(promptTokens, completionTokens, costUsd, id);
  }

  /** Adds items whose key the job does not have yet; returns how many were new. */
  planItems(jobId: JobId, items: readonly NewItem[], now: number): number {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO job_items (id, job_id, stage, key, status, input, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
    );
    let added = 0;
    this.db.transaction(() => {
      for (const item of items)
        added += insert.run(item.id, jobId, item.stage, item.key, JSON.stringify(item.input), now).changes;
    })();
    return added;
  }

  /**
   * Plans one item of `stage` per scene matching `where` (key `keyPrefix` + scene id, input
   * `{sceneId}`), in the scenes' order, in one statement: a bulk job over 100,000 scenes plans
   * without reading them into JavaScript. Returns how many were new.
   */
  planSceneItems(jobId: JobId, stage: JobStage, keyPrefix: string, where: SceneWhere, now: number): number {
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

  /** A stage's items by status, as the job's row keeps them (job-figures.ts). */
  countItems(jobId: JobId, stage: JobStage): ItemCounts {
    return stageCountsOf(this.itemCountsRow(jobId), stage);
  }

  /** Items of the job, every stage, that ran out of attempts. */
  countFailedItems(jobId: JobId): number {
    return failedItemsOf(this.itemCountsRow(jobId));
  }

  private itemCountsRow(jobId: JobId): Pick<JobRow, 'item_counts'> {
    const counts = this.db.prepare('SELECT item_counts FROM jobs WHERE id = ?').pluck().get(jobId) as
      string | undefined;
    return { item_counts: counts ?? '{}' };
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

  /** Done items that carry a note: how many, and the latest `limit`. */
  /** Where one item stands, or undefined when it is gone. */
  itemStatus(id: string): ItemRow['status'] | undefined {
    return this.db.prepare('SELECT status FROM job_items WHERE id = ?').pluck().get(id) as
      ItemRow['status'] | undefined;
  }

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

  setSettings(id: JobId, settings: unknown, now: number): void {
    this.db.prepare('UPDATE jobs SET settings = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(settings), now, id);
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
