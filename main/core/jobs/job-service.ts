import { setMaxListeners } from 'node:events';
import type { CharacterId, Job, JobId, JobKindName, Provider, ProviderId } from '../../../common/contract';
import { formatUsd, unpricedCallsNote } from '../../../common/money';
import { orphanedJobMessage } from '../../../common/orphaned-job';
import { errorText } from '../../../common/sentence';
import type { Db } from '../../store/database';
import type { JobRow, JobsRepo } from '../../store/jobs-repo';
import { WriteBatch } from '../../store/write-batch';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { LlmGateway, type CallRecord, type StartedCall } from '../llm/gateway';
import type { RetryPolicyOptions } from '../llm/retry-policy';
import { isLlmError, type LlmProvider } from '../llm/types';
import type { ProviderService } from '../providers/provider-service';
import { callRow, startedRow } from './call-log';
import type { JobKind } from './job-kind';
import { JobRunner, type RunHandle } from './job-runner';
import { toJob, WatchedRuns } from './job-view';

const PROGRESS_INTERVAL_MS = 250;
/**
 * How long a job's write (a call's record, an item's output) waits for others to share its commit,
 * in ms: far below a call's latency (hundreds of ms).
 */
const WRITE_WINDOW_MS = 20;
/** Attempts an item gets before it fails for good (a retry or resume gives it fresh ones). */
export const MAX_ITEM_ATTEMPTS = 3;

/**
 * The backoff before a job's LLM call is tried again, in ms (`RetryPolicy`: full jitter, doubling
 * from `baseDelayMs` up to `maxDelayMs`); unset, the gateway's defaults (1 s doubling to 60 s), so
 * an unreachable provider costs an item up to 1 + 2 + 4 + 8 s of waits before it counts towards
 * the outage pause. Tests shorten it to see the same retries and pause in milliseconds.
 */
export type JobRetryTiming = Pick<RetryPolicyOptions, 'baseDelayMs' | 'maxDelayMs'>;

/** Settings every kind stores: whom it calls and the spending cap (the rest is the kind's). */
interface CommonSettings {
  /** Null for a kind that may call no provider of its own (an interview of trained runs only). */
  providerId: ProviderId | null;
  budgetUsd: number | null;
}

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
 * The generic job engine: a registry of job kinds (`JobKind`) and one control path for all of
 * them (start, pause, cancel, resume, retry, budget, progress events, crash recovery), on top of
 * `JobRunner`'s claim and heartbeat. Kinds do the work; the engine decides what the row becomes.
 */
export class JobService {
  private readonly kinds = new Map<JobKindName, JobKind>();
  private readonly lastEmit = new Map<JobId, number>();
  /** Jobs other processes run, as this one has watched them (for their time left). */
  private readonly otherRuns = new WatchedRuns();
  private readonly runner: JobRunner;
  /**
   * The writes of every run (calls' records, items' outputs), committed in groups (`WriteBatch`).
   * Kinds write an item's output through it, after the call record it follows.
   */
  readonly writes: WriteBatch;
  private readonly spendings = new WeakMap<RunHandle, { budgetUsd: number | null; spent: number }>();

  constructor(
    private readonly db: Db,
    private readonly jobs: JobsRepo,
    private readonly providers: ProviderService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    private readonly retryTiming: JobRetryTiming = {},
  ) {
    this.runner = new JobRunner(jobs, clock, (id) => this.progressed(id, true));
    this.writes = new WriteBatch(db, WRITE_WINDOW_MS);
  }

  register(kind: JobKind): void {
    this.kinds.set(kind.name, kind);
  }

  /** Stores a new job of `kind` and runs it in the background; returns it as it starts. */
  start(kind: JobKindName, characterId: CharacterId, settings: CommonSettings): Job {
    const id = this.newId() as JobId;
    this.jobs.insertJob({ id, characterId, kind, settings }, this.clock.now());
    this.launch(id);
    return this.get(id);
  }

  /** Stores a new job and plans its items in one transaction, then runs it (a crash leaves both or neither). */
  startWithItems(
    kind: JobKindName,
    characterId: CharacterId,
    settings: CommonSettings,
    plan: (id: JobId) => void,
  ): Job {
    const id = this.newId() as JobId;
    this.db.transaction(() => {
      this.jobs.insertJob({ id, characterId, kind, settings }, this.clock.now());
      plan(id);
    })();
    this.launch(id);
    return this.get(id);
  }

  /** The character's jobs, each from its row's figures (a job of 100,000 scenes reads no scene). */
  list(characterId: CharacterId): Job[] {
    return this.jobs.jobsFor(characterId).map((row) => this.toJob(row));
  }

  /** Jobs whose id is `key` or starts with it (the CLI names them so). */
  match(key: string): { id: JobId; characterId: CharacterId }[] {
    return this.jobs.matchIds(key);
  }

  get(id: JobId): Job {
    return this.toJob(this.row(id));
  }

  pause(id: JobId): Job {
    this.runner.stop(id, this.row(id).status, 'paused');
    return this.get(id);
  }

  cancel(id: JobId): Job {
    this.runner.stop(id, this.row(id).status, 'cancelled');
    return this.get(id);
  }

  /** The job's stored row (its status, say), without building the whole view `get` returns. */
  private row(id: JobId): JobRow {
    const row = this.jobs.job(id);
    if (!row) throw new StudioFailure('not_found', 'That job no longer exists.');
    return row;
  }

  /** Goes on where the job stopped; items whose attempts ran out (an outage, say) get fresh ones. */
  resume(id: JobId): Job {
    const job = this.get(id);
    if (!['paused', 'interrupted', 'failed', 'queued'].includes(job.status)) {
      throw new StudioFailure('invalid_argument', `A ${job.status} job cannot be resumed.`);
    }
    // Refused here, saying what to do, rather than started to fail at once with "choose another
    // provider", which a stopped job cannot do.
    const providerId = job.settings.providerId;
    if (providerId && !this.providers.list().some((p) => p.id === providerId))
      throw new StudioFailure('not_found', orphanedJobMessage(job.kind));
    if (!this.runner.handle(id)) {
      this.jobs.items.retryFailed(id, undefined, this.clock.now());
      this.launch(id);
    }
    return this.get(id);
  }

  retry(id: JobId, itemId?: string): Job {
    const job = this.get(id);
    if (job.status === 'cancelled')
      throw new StudioFailure('invalid_argument', 'A cancelled job cannot be retried. Start a new one instead.');
    const n = this.jobs.items.retryFailed(id, itemId, this.clock.now());
    if (n === 0)
      throw new StudioFailure(
        'invalid_argument',
        itemId ? 'That item has not failed.' : 'This job has no failed items.',
      );
    if (!this.runner.handle(id)) this.launch(id);
    return this.get(id);
  }

  /** Changes the spending cap of a job at rest; `null` removes it. Resume to go on. */
  setBudget(id: JobId, budgetUsd: number | null): Job {
    const job = this.get(id);
    if (this.runner.handle(id) || job.status === 'running')
      throw new StudioFailure('conflict', 'Pause the job before changing its budget.');
    if (job.status === 'succeeded' || job.status === 'cancelled')
      throw new StudioFailure('invalid_argument', `A ${job.status} job has nothing left to spend on.`);
    if (budgetUsd !== null && !(budgetUsd > job.costUsd)) {
      throw new StudioFailure(
        'invalid_argument',
        `The budget must be more than the ${formatUsd(job.costUsd)} already spent, or empty for no limit.`,
      );
    }
    if (budgetUsd !== null) this.assertBudgetKept(job, budgetUsd);
    this.jobs.setSettings(id, { ...job.settings, budgetUsd }, this.clock.now());
    const row = this.jobs.job(id)!;
    if (row.status === 'paused' && row.message?.includes('budget')) {
      this.jobs.setStatus(
        id,
        'paused',
        `Paused. The budget is now ${budgetUsd === null ? 'unlimited' : formatUsd(budgetUsd)}: resume to go on.`,
        this.clock.now(),
      );
    }
    this.progressed(id, true);
    return this.get(id);
  }

  /**
   * Refuses a budget for a job whose spending could not be counted: calls already made to a model
   * with no price, or a provider (and the model the job names) that would make them.
   */
  private assertBudgetKept(job: Job, budgetUsd: number): void {
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

  /** Shows the progress of jobs other processes run as they move (JobRunner.watchOtherRuns). */
  watchOtherRuns(): void {
    this.runner.watchOtherRuns();
  }

  /** Whether one of the character's jobs (of any kind) is running now, read from the rows. */
  hasRunningJob(characterId: CharacterId): boolean {
    return this.jobs.jobsFor(characterId).some((row) => row.status === 'running');
  }

  /** At start-up: jobs left running by a crash or quit become `interrupted`, their open calls too. */
  recover(): number {
    return this.runner.recover();
  }

  /** Resolves when the job's current run ends (for the CLI and tests). */
  async whenIdle(id: JobId): Promise<Job> {
    await this.runner.whenIdle(id);
    return this.get(id);
  }

  /** Stops every run, leaving the jobs `interrupted` so they resume next time. */
  async shutdown(): Promise<void> {
    await this.runner.shutdown();
    this.writes.flush();
  }

  /** A provider a job is about to be started with (refused with `not_found` when it was deleted). */
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
      spending = { budgetUsd: (JSON.parse(row.settings) as CommonSettings).budgetUsd ?? null, spent: row.cost_usd };
      this.spendings.set(run, spending);
    }
    return spending;
  }

  /**
   * Records a failed attempt of an item (it fails for good after `MAX_ITEM_ATTEMPTS`). An
   * unreachable provider pauses the run after a few items in a row (resuming retries them); a
   * refused key or an unknown model stops it at once, since every other call would fail the same way.
   */
  itemFailed(run: RunHandle, itemId: string, error: unknown, callId: string | null): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.jobs.items.failAttempt(itemId, reason, MAX_ITEM_ATTEMPTS, callId, this.clock.now());
    if (this.runner.noteOutcome(run, error)) return;
    if (isLlmError(error) && (error.code === 'auth' || error.code === 'not_found')) {
      this.runner.requestStop(run, 'failed', `${error.message} Fix it, then resume.`);
    }
  }

  /** Stops the run as `failed` with `message` (a kind's own reason to stop everything). */
  stopRun(run: RunHandle, message: string): void {
    this.runner.requestStop(run, 'failed', message);
  }

  /** Tells the doors how the job stands; throttled to a few a second unless `force`. */
  progressed(id: JobId, force: boolean): void {
    const now = this.clock.now();
    if (!force && now - (this.lastEmit.get(id) ?? 0) < PROGRESS_INTERVAL_MS) return;
    this.lastEmit.set(id, now);
    const row = this.jobs.job(id);
    if (row) this.events.emit('jobs/progressed', this.toJob(row));
  }

  private launch(id: JobId): void {
    const row = this.jobs.job(id)!;
    const kind = this.kindOf(row);
    if (!kind.resumable && row.status !== 'queued')
      throw new StudioFailure('invalid_argument', `A ${row.kind} job cannot run again once stopped; start a new one.`);
    this.runner.launch(id, kind.view(row).done, async (run) => {
      const note = await kind.run(id, run).finally(() => this.writes.flush());
      const now = this.clock.now();
      if (run.controller.signal.aborted) {
        this.jobs.setStatus(id, run.stopAs ?? 'paused', run.stopMessage, now);
        return;
      }
      const failed = this.jobs.countFailedItems(id);
      this.jobs.setStage(id, null, now);
      if (failed > 0) {
        this.jobs.setStatus(
          id,
          'failed',
          `${failed} item${failed === 1 ? '' : 's'} failed; see the reasons below and retry them, or resume to retry them all.`,
          now,
        );
      } else {
        this.jobs.setStatus(id, 'succeeded', note, now);
      }
    });
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
      .catch((error: unknown) =>
        this.runner.requestStop(run, 'failed', `A call could not be recorded: ${errorText(error)}`),
      );
    spending.spent += cost;
    const { budgetUsd, spent } = spending;
    if (budgetUsd !== null && spent >= budgetUsd && !run.controller.signal.aborted) {
      this.runner.requestStop(
        run,
        'paused',
        `Paused: the budget of ${formatUsd(budgetUsd)} is spent (${formatUsd(spent)}). Raise the budget and resume to go on.`,
      );
    }
  }

  private toJob(row: JobRow): Job {
    const view = this.kindOf(row).view(row);
    const now = this.clock.now();
    const here = this.runner.handle(row.id);
    const elsewhere = !here && row.status === 'running' && row.runner !== null;
    const run = here ?? this.otherRuns.seen(row, view.done, now);
    return toJob(row, view, this.jobs, run, now, elsewhere);
  }

  private kindOf(row: JobRow): JobKind {
    const kind = this.kinds.get(row.kind);
    if (!kind)
      throw new StudioFailure('unavailable', `This studio cannot run jobs of kind "${row.kind}"; update the studio.`);
    return kind;
  }
}
