import type { CharacterId, JobId, JobKindName, JobStage, JobStatus } from '../../common/contract';
import { CallRecordsRepo } from './call-records-repo';
import type { Db } from './database';
import { idsStartingWith } from './id-match';
import { JobItemsRepo } from './job-items-repo';
import { failedItemsOf, stageCountsOf, type ItemCounts, type JobFigureColumns } from './job-figures';
import { SettingsFiller, type JobSettingsDefaults } from './job-settings';

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
  /** Calls with tokens but no cost: a metered provider's model without a price (migration 035). */
  unpriced_calls: number;
  message: string | null;
  runner: string | null;
  heartbeat_at: number | null;
  /** A stop asked for by another process, not yet taken by the runner (migration 031). */
  stop_request: 'paused' | 'cancelled' | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/**
 * Jobs: their rows, claims, stop requests and usage. `items` are their idempotent work items
 * (job-items-repo.ts); `callRecords` is the log of LLM calls (call-records-repo.ts).
 */
export class JobsRepo {
  /** The log of LLM calls, of jobs and of requests outside any job. */
  readonly callRecords: CallRecordsRepo;
  /** The jobs' work items. */
  readonly items: JobItemsRepo;
  private readonly settingsFiller: SettingsFiller;

  constructor(
    private readonly db: Db,
    settingsDefaults: JobSettingsDefaults = {},
  ) {
    this.callRecords = new CallRecordsRepo(db);
    this.items = new JobItemsRepo(db);
    this.settingsFiller = new SettingsFiller(settingsDefaults);
  }

  /** Whether the database is still open (a run's timers stop once it has closed under them). */
  get open(): boolean {
    return this.db.open;
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

  /** Adds a call's tokens and cost; `unpriced`: it had tokens but no cost (its model has no price). */
  addUsage(id: JobId, promptTokens: number, completionTokens: number, costUsd: number, unpriced = false): void {
    this.db
      .prepare(
        `UPDATE jobs SET prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?, cost_usd = cost_usd + ?,
           unpriced_calls = unpriced_calls + ? WHERE id = ?`,
      )
      .run(promptTokens, completionTokens, costUsd, unpriced ? 1 : 0, id);
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

  setSettings(id: JobId, settings: unknown, now: number): void {
    this.db.prepare('UPDATE jobs SET settings = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(settings), now, id);
  }
}
