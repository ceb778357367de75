import type { JobId } from '../../common/contract';
import type { Db } from './database';

/** One attempt of an LLM call, as `llm_calls` stores it. */
export interface CallRow {
  id: string;
  attempt: number;
  job_id: string | null;
  item_id: string | null;
  provider: string;
  /** The studio's name for the provider then (migration 034); null when unknown. */
  provider_label: string | null;
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
  | 'id'
  | 'attempt'
  | 'job_id'
  | 'item_id'
  | 'provider'
  | 'provider_label'
  | 'model'
  | 'params'
  | 'messages'
  | 'started_at'
>;

/**
 * The log of LLM calls (`llm_calls`): one row per attempt, put on record before it is sent
 * (`in_flight`, so a crash mid-call stays accountable) and completed with its answer, usage and cost.
 * Rows belong to a job's item, or to a request outside any job (`job_id` null).
 */
/** Answered calls taken together: how many, their completion tokens, their time. */
export interface CallPace {
  calls: number;
  completionTokens: number;
  latencyMs: number;
}

export class CallRecordsRepo {
  constructor(private readonly db: Db) {}

  /** Puts an attempt on record before it is sent (`in_flight`); `finish` completes the row. */
  start(row: StartedCallRow): void {
    this.db
      .prepare(
        `INSERT INTO llm_calls (id, attempt, job_id, item_id, provider, provider_label, model, params, messages, latency_ms, started_at, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'in_flight')
         ON CONFLICT (id, attempt) DO NOTHING`,
      )
      // By position: better-sqlite3 looks each named parameter up on the object, from C++.
      .run(
        row.id,
        row.attempt,
        row.job_id,
        row.item_id,
        row.provider,
        row.provider_label,
        row.model,
        row.params,
        row.messages,
        row.started_at,
      );
  }

  /** Records a finished attempt, completing its `in_flight` row when there is one. */
  finish(row: CallRow): void {
    // The attempt is usually on record already (`start`): complete it without writing its
    // prompt again.
    const completed = this.db
      .prepare(
        `UPDATE llm_calls SET response_model = ?, response = ?, finish_reason = ?, prompt_tokens = ?,
           completion_tokens = ?, cost_usd = ?, latency_ms = ?, error = ?, status = 'done'
         WHERE id = ? AND attempt = ?`,
      )
      .run(
        row.response_model,
        row.response,
        row.finish_reason,
        row.prompt_tokens,
        row.completion_tokens,
        row.cost_usd,
        row.latency_ms,
        row.error,
        row.id,
        row.attempt,
      );
    if (completed.changes > 0) return;
    this.db
      .prepare(
        `INSERT INTO llm_calls (id, attempt, job_id, item_id, provider, provider_label, model, response_model, params, messages,
           response, finish_reason, prompt_tokens, completion_tokens, cost_usd, latency_ms, error, started_at, status)
         VALUES (@id, @attempt, @job_id, @item_id, @provider, @provider_label, @model, @response_model, @params, @messages, @response,
           @finish_reason, @prompt_tokens, @completion_tokens, @cost_usd, @latency_ms, @error, @started_at, 'done')
         ON CONFLICT (id, attempt) DO UPDATE SET response_model = excluded.response_model, response = excluded.response,
           finish_reason = excluded.finish_reason, prompt_tokens = excluded.prompt_tokens,
           completion_tokens = excluded.completion_tokens, cost_usd = excluded.cost_usd,
           latency_ms = excluded.latency_ms, error = excluded.error, status = 'done'`,
      )
      .run(row);
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

  /**
   * How fast `model` on the studio's provider `providerId` answered lately: its latest answered calls
   * (at most `limit`) of the last generation jobs run on that provider (a call's own `provider` names
   * only its kind of endpoint). Null when it has none. Read through the jobs (a few rows) and
   * `llm_calls_job`, not the whole call record.
   */
  pace(providerId: string, model: string, limit = 200): CallPace | null {
    const jobs = this.db
      .prepare(
        `SELECT id FROM jobs WHERE kind = 'generation' AND settings ->> 'providerId' = ? ORDER BY created_at DESC LIMIT 5`,
      )
      .pluck()
      .all(providerId) as string[];
    const pace: CallPace = { calls: 0, completionTokens: 0, latencyMs: 0 };
    for (const jobId of jobs) {
      if (pace.calls >= limit) break;
      // Newest first along llm_calls_job (its entries end with the rowid): no sort, however large the job.
      const row = this.db
        .prepare(
          `SELECT count(*) AS calls, coalesce(sum(completion_tokens), 0) AS completionTokens,
             coalesce(sum(latency_ms), 0) AS latencyMs
           FROM (SELECT completion_tokens, latency_ms FROM llm_calls
             WHERE job_id = ? AND model = ? AND status = 'done' AND error IS NULL AND completion_tokens > 0 AND latency_ms > 0
             ORDER BY rowid_ DESC LIMIT ?)`,
        )
        .get(jobId, model, limit - pace.calls) as CallPace;
      pace.calls += row.calls;
      pace.completionTokens += row.completionTokens;
      pace.latencyMs += row.latencyMs;
    }
    return pace.calls > 0 ? pace : null;
  }

  /** Every attempt of one call, in order. */
  attempts(id: string): CallRow[] {
    return this.db.prepare('SELECT * FROM llm_calls WHERE id = ? ORDER BY attempt').all(id) as CallRow[];
  }
}
