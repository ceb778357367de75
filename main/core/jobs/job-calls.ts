import { setMaxListeners } from 'node:events';
import type { Job, JobId, JobStatus, Provider, ProviderId } from '../../../common/contract';
import { formatUsd, unpricedCallsNote } from '../../../common/money';
import { errorText } from '../../../common/sentence';
import type { JobsRepo } from '../../store/jobs-repo';
import type { WriteBatch } from '../../store/write-batch';
import { StudioFailure } from '../errors';
import { LlmGateway, type CallRecord, type StartedCall } from '../llm/gateway';
import type { RetryPolicyOptions } from '../llm/retry-policy';
import type { LlmProvider } from '../llm/types';
import type { ProviderService } from '../providers/provider-service';
import { callRow, startedRow } from './call-log';
import type { RunHandle } from './job-runner';

/**
 * The backoff before a job's LLM call is tried again, in ms (`RetryPolicy`: full jitter, doubling
 * from `baseDelayMs` up to `maxDelayMs`); unset, the gateway's defaults (1 s doubling to 60 s), so
 * an unreachable provider costs an item up to 1 + 2 + 4 + 8 s of waits before it counts towards
 * the outage pause. Tests shorten it to see the same retries and pause in milliseconds.
 */
export type JobRetryTiming = Pick<RetryPolicyOptions, 'baseDelayMs' | 'maxDelayMs'>;

/** What a kind's run calls the provider through: one gateway per run, every call logged to the job. */
export interface JobLlm {
  provider: Provider;
  llm: LlmProvider;
  gateway: LlmGateway;
  /** Items a run keeps in flight: twice the provider's concurrency, so a next call is always queued. */
  window: number;
  /** Whether answers come as JSON by schema (the provider offers it and the user allows it). */
  structured: boolean;
}

/**
 * What a job's runs spend: the gateway each run calls its provider through, every attempt put on
 * record for the job, its cost added to the job and held to its budget, and the checks that refuse
 * a budget which could not be kept. The part of the job engine (`JobService`) that touches calls.
 */
export class JobCalls {
  private readonly spendings = new WeakMap<RunHandle, { budgetUsd: number | null; spent: number }>();

  constructor(
    private readonly jobs: JobsRepo,
    private readonly providers: ProviderService,
    private readonly writes: WriteBatch,
    /** Ends a run as the engine does (`JobRunner.requestStop`). */
    private readonly stop: (run: RunHandle, status: JobStatus, message: string) => void,
    private readonly retryTiming: JobRetryTiming = {},
  ) {}

  provider(id: ProviderId): Provider {
    return this.providers.get(id);
  }

  /**
   * The provider a run calls, behind one gateway whose every attempt is logged to the job and whose
   * cost counts against its budget (which pauses the run when spent). `model`: ask this model
   * instead of the provider's saved one (a judge model chosen for the job).
   */
  llmFor(id: JobId, run: RunHandle, providerId: ProviderId, model?: string): JobLlm {
    const provider = this.providers.get(providerId);
    const llm = model ? this.providers.instanceFor(provider.id, model) : this.providers.instance(provider.id);
    const concurrency = provider.kind === 'embedded' ? 1 : provider.maxConcurrency;
    // Every call of the run waits on this signal (queued, sleeping or sent): many listeners by design.
    setMaxListeners(0, run.controller.signal);
    const metered = this.providers.isMetered(provider);
    const gateway = new LlmGateway(llm, {
      maxConcurrency: concurrency,
      requestsPerMinute: provider.requestsPerMinute || null,
      timeoutMs: provider.timeoutMs,
      prices: this.providers.pricesFor(provider),
      ...this.retryTiming,
      ...this.recorderFor(id, run, metered),
    });
    return {
      provider,
      llm,
      gateway,
      window: Math.max(1, concurrency) * 2,
      structured: provider.structuredOutput && llm.capabilities.jsonSchema,
    };
  }

  /**
   * Where calls a run makes through a gateway of its own (an interviewee's endpoint) are recorded:
   * logged to the job, their cost added to it and held to its budget, like `llmFor`'s. `metered`:
   * the provider bills by the token, so a call without a cost (its model has no price) is counted
   * as unpriced rather than free.
   */
  recorderFor(
    id: JobId,
    run: RunHandle,
    metered = false,
  ): { onStart(record: StartedCall): void; onCall(record: CallRecord): void } {
    const spending = this.spendingOf(id, run);
    return {
      // On record before it is sent, at once: waiting for a shared commit would delay every send
      // by a turn of the loop, on the job's critical path, to save a small commit.
      onStart: (record) => this.jobs.callRecords.start(startedRow(id, record)),
      onCall: (record) => this.recordCall(id, record, run, spending, metered),
    };
  }

  /**
   * The budget as the run started (it changes only while the job is at rest) and what is spent,
   * counted here as calls finish, ahead of their records' commit: one count per run, shared by
   * every gateway the run calls through.
   */
  private spendingOf(id: JobId, run: RunHandle): { budgetUsd: number | null; spent: number } {
    let spending = this.spendings.get(run);
    if (!spending) {
      const row = this.jobs.job(id)!;
      spending = {
        budgetUsd: (JSON.parse(row.settings) as { budgetUsd?: number | null }).budgetUsd ?? null,
        spent: row.cost_usd,
      };
      this.spendings.set(run, spending);
    }
    return spending;
  }

  /**
   * Refuses a budget for a job whose spending could not be counted: calls already made to a model
   * with no price, or a provider (and the model the job names) that would make them.
   */
  assertBudgetKept(job: Job, budgetUsd: number): void {
    if (job.unpricedCalls > 0)
      throw new StudioFailure(
        'invalid_argument',
        `${unpricedCallsNote(job)} A budget cannot be kept without it: set the price first, or leave the budget empty.`,
      );
    const settings = job.settings as {
      providerId?: ProviderId | null;
      model?: string | null;
      interviewerModel?: string | null;
    };
    const provider = this.providers.list().find((p) => p.id === settings.providerId);
    if (provider)
      this.providers.assertBudgetCountable(budgetUsd, [
        { provider, model: settings.model ?? settings.interviewerModel },
      ]);
  }

  /** Refuses a budget the engine could not keep: see `ProviderService.assertBudgetCountable`. */
  assertBudgetCountable(
    budgetUsd: number | null,
    calls: readonly { providerId: ProviderId; model?: string | null }[],
  ): void {
    this.providers.assertBudgetCountable(
      budgetUsd,
      calls.map(({ providerId, model }) => ({ provider: this.providers.get(providerId), model })),
    );
  }

  /**
   * Puts a finished attempt and its usage on record, committed with the item's output that follows
   * it (`writes`): a process killed before that commit leaves the call `in_flight`, which recovery
   * makes `interrupted` (sent, perhaps billed), as for one killed mid-call. The budget counts the
   * cost at once; a record that cannot be saved stops the run.
   */
  private recordCall(
    id: JobId,
    record: CallRecord,
    run: RunHandle,
    spending: { budgetUsd: number | null; spent: number },
    metered: boolean,
  ): void {
    const cost = record.costUsd ?? 0;
    const unpriced = metered && record.costUsd === null && record.usage !== null;
    this.writes
      .write(() => {
        this.jobs.callRecords.finish(callRow(id, record));
        this.jobs.addUsage(id, record.usage?.promptTokens ?? 0, record.usage?.completionTokens ?? 0, cost, unpriced);
      })
      .catch((error: unknown) => this.stop(run, 'failed', `A call could not be recorded: ${errorText(error)}`));
    spending.spent += cost;
    const { budgetUsd, spent } = spending;
    if (budgetUsd !== null && spent >= budgetUsd && !run.controller.signal.aborted) {
      this.stop(
        run,
        'paused',
        `Paused: the budget of ${formatUsd(budgetUsd)} is spent (${formatUsd(spent)}). Raise the budget and resume to go on.`,
      );
    }
  }
}
