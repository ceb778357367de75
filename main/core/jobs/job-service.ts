import type { CharacterId, Job, JobId, JobKindName, ProviderId } from '../../../common/contract';
import { formatUsd } from '../../../common/money';
import { orphanedJobMessage } from '../../../common/orphaned-job';
import type { Db } from '../../store/database';
import type { JobRow, JobsRepo } from '../../store/jobs-repo';
import { WriteBatch } from '../../store/write-batch';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { isLlmError } from '../llm/types';
import type { ProviderService } from '../providers/provider-service';
import type { JobKind } from './job-kind';
import { JobRunner, type RunHandle } from './job-runner';
import { toJob, WatchedRuns } from './job-view';
import { JobCalls, type JobRetryTiming } from './job-calls';

const PROGRESS_INTERVAL_MS = 250;
/**
 * How long a job's write (a call's record, an item's output) waits for others to share its commit,
 * in ms: well below a call's latency (hundreds of ms and more), so a provider answering many calls
 * at once gets one commit for several answers (at 16 calls of 300 ms, about five: 6–7% less CPU per
 * item than at 20 ms). An output other items wait on does not wait: a kind asks for its commit on
 * the next turn (a generation job's scenes and limits, and any answer that leaves its gateway idle).
 */
const WRITE_WINDOW_MS = 100;
/** Attempts an item gets before it fails for good (a retry or resume gives it fresh ones). */
export const MAX_ITEM_ATTEMPTS = 3;

/** Settings every kind stores: whom it calls and the spending cap (the rest is the kind's). */
interface CommonSettings {
  /** Null for a kind that may call no provider of its own (an interview of trained runs only). */
  providerId: ProviderId | null;
  budgetUsd: number | null;
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
  /** Runs' calls: their gateways, records, cost and budget (`JobCalls`). */
  readonly calls: JobCalls;

  constructor(
    private readonly db: Db,
    private readonly jobs: JobsRepo,
    private readonly providers: ProviderService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    retryTiming: JobRetryTiming = {},
  ) {
    this.runner = new JobRunner(jobs, clock, (id) => this.progressed(id, true));
    this.writes = new WriteBatch(db, { windowMs: WRITE_WINDOW_MS, deferSearchRows: true });
    this.calls = new JobCalls(
      jobs,
      providers,
      this.writes,
      (run, status, message) => this.runner.requestStop(run, status, message),
      retryTiming,
    );
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
    // A budget set before prices were asked for: refused until the price is set or the budget cleared.
    const budgetUsd = (job.settings as { budgetUsd?: number | null }).budgetUsd ?? null;
    if (budgetUsd !== null) this.calls.assertBudgetKept(job, budgetUsd);
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
    if (budgetUsd !== null) this.calls.assertBudgetKept(job, budgetUsd);
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
