import type { JobId } from '../../common/contract';
import type { Db } from './database';

/** One attempt of an LLM call, as `llm_calls` stores it. */
export interface CallRow {
  id: string;
  attempt: number;
  job_id: string | null;
  item_id: string | null;
  provider: string;
  model: string;
  response_model: string | null;
  params: string;
  messages: string;
  response: string | null;
  finish_reason: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost_usd: number | null;
  latency_ms: number;
  error: string | null;
  started_at: number;
  /** `in_flight` from just before sending until the answer; `interrupted` when its process died mid-call. */
  status?: CallStatus;
}

export type CallStatus = 'in_flight' | 'done' | 'interrupted';

/** What is known of an attempt before it is sent. */
export type StartedCallRow = Pick<
  CallRow,
  'id' | 'attempt' | 'job_id' | 'item_id' | 'provider' | 'model' | 'params' | 'messages' | 'started_at'
>;

/**
 * The log of LLM calls (`llm_calls`): one row per attempt, put on record before it is sent
 * (`in_flight`, so a crash mid-call stays accountable) and completed with its answer, usage and cost.
 * Rows belong to a job's item, or to a request outside any job (`job_id` null).
 */
export class CallRecordsRepo {
  constructor(private readonly db: Db) {}

  /**
   * Puts an attempt on record before it is sent (`in_flight`); `finish` completes the row. The
   * prompt goes in a row of its own (`llm_call_prompts`, migration 030), written this once: the
   * completion rewrites the attempt's row, and with the prompt in it, wrote the prompt again.
   */
  start(row: StartedCallRow): void {
    this.db.transaction(() => {
      const added = this.db
        .prepare(
          `INSERT INTO llm_calls (id, attempt, job_id, item_id, provider, model, params, messages, latency_ms, started_at, status)
           VALUES (@id, @attempt, @job_id, @item_id, @provider, @model, @params, '', 0, @started_at, 'in_flight')
           ON CONFLICT (id, attempt) DO NOTHING`,
        )
        .run(row);
      if (added.changes === 0) return;
      this.db
        .prepare('INSERT INTO llm_call_prompts (call_rowid, messages) VALUES (?, ?)')
        .run(added.lastInsertRowid, row.messages);
    })();
  }

  /** Records a finished attempt, completing its `in_flight` row (put on record first when there is none). */
  finish(row: CallRow): void {
    if (this.complete(row)) return;
    this.db.transaction(() => {
      this.start(row);
      this.complete(row);
    })();
  }

  /** Completes the attempt's row with its outcome, prompt untouched; false when it is not on record. */
  private complete(row: CallRow): boolean {
    return (
      this.db
        .prepare(
          `UPDATE llm_calls SET response_model = @response_model, response = @response, finish_reason = @finish_reason,
             prompt_tokens = @prompt_tokens, completion_tokens = @completion_tokens, cost_usd = @cost_usd,
             latency_ms = @latency_ms, error = @error, status = 'done'
           WHERE id = @id AND attempt = @attempt`,
        )
        .run({
          id: row.id,
          attempt: row.attempt,
          response_model: row.response_model,
          response: row.response,
          finish_reason: row.finish_reason,
          prompt_tokens: row.prompt_tokens,
          completion_tokens: row.completion_tokens,
          cost_usd: row.cost_usd,
          latency_ms: row.latency_ms,
          error: row.error,
        }).changes > 0
    );
  }

  /**
   * At start-up: attempts left `in_flight` by a process that died mid-call become `interrupted`.
   * The provider may have answered and billed them, so they stay on record with cost unknown.
   * Calls of a job a live runner still holds (another process on a shared folder) are left alone.
   */
  interruptOrphans(now: number): number {
    return this.db
      .prepare(
        `UPDATE llm_calls SET status = 'interrupted', latency_ms = max(0, ? - started_at),
           error = 'interrupted: the studio stopped before the answer came; the provider may have billed it (cost unknown)'
         WHERE status = 'in_flight' AND (job_id IS NULL OR job_id NOT IN (SELECT id FROM jobs WHERE status = 'running'))`,
      )
      .run(now).changes;
  }

  /** Attempts of the job cut off by a crash: sent, maybe billed, cost unknown. */
  countInterrupted(jobId: JobId): number {
    return this.db
      .prepare(`SELECT count(*) FROM llm_calls WHERE job_id = ? AND status = 'interrupted'`)
      .pluck()
      .get(jobId) as number;
  }

  /** Every attempt of one call, in order, with its prompt (from its own row, or in place for one recorded before migration 030). */
  attempts(id: string): CallRow[] {
    return this.db
      .prepare(
        `SELECT c.id, c.attempt, c.job_id, c.item_id, c.provider, c.model, c.response_model, c.params,
           coalesce(p.messages, c.messages) AS messages, c.response, c.finish_reason, c.prompt_tokens,
           c.completion_tokens, c.cost_usd, c.latency_ms, c.error, c.started_at, c.status
         FROM llm_calls c LEFT JOIN llm_call_prompts p ON p.call_rowid = c.rowid_
         WHERE c.id = ? ORDER BY c.attempt`,
      )
      .all(id) as CallRow[];
  }
}
