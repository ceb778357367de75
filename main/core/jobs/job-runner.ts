import type { JobId, JobStatus } from '../../../common/contract';
import type { JobsRepo } from '../../store/jobs-repo';
import type { Clock } from '../clock';
import { StudioFailure } from '../errors';
import { isLlmError } from '../llm/types';
import { runnerAlive, runnerId } from '../runner';
import { errorText } from '../../../common/sentence';

/**
 * Job control shared by every long task kept as a `jobs` row: who runs it (a claim with a
 * heartbeat), how a run stops (pause, cancel, a budget, an outage, shutdown) and what a crash
 * leaves behind (`interrupted` jobs and `interrupted` calls, both resumable and on record).
 *
 * Lifecycle of one run: `launch` claims the job, marks it `running` and calls the body; the body
 * returns when its work is done or its signal aborts. Whoever aborts says first what the job becomes
 * (`requestStop`); a body that throws fails the job with the error's message. The claim is released
 * and `onChange` is told in every case.
 */

const HEARTBEAT_MS = 5_000;
/** How often a run looks for a pause or cancel asked for by another process (`stop`). */
export const STOP_REQUEST_CHECK_MS = 1_000;
/** How often `watchOtherRuns` reads the rows of jobs other processes run. */
const OTHER_RUNS_CHECK_MS = 1_000;
/** A runner silent this long is presumed dead (crashed or killed). */
export const STALE_RUNNER_MS = 30_000;
/**
 * Items in a row whose provider could not be reached (after the gateway's own retries) before the
 * job pauses: one may be a blip, several in a row mean the provider is down.
 */
export const OUTAGE_STREAK = 3;

export interface RunHandle {
  readonly controller: AbortController;
  /** What the job becomes when the body returns after an abort; the first stop asked wins. */
  stopAs: JobStatus | null;
  stopMessage: string | null;
  done: Promise<void>;
  readonly startedAt: number;
  /** Progress when the run started, for the time-left estimate. */
  readonly doneAtStart: number;
  /** Items in a row whose provider was unreachable; any item that reaches it resets the count. */
  outageStreak: number;
}

/** Refused, reset, DNS failures and timeouts: the provider did not answer at all. */
export function isOutage(error: unknown): boolean {
  return isLlmError(error) && (error.code === 'network' || error.code === 'timeout');
}

/** What a job stopped by hand says. */
const stopMessages = {
  paused: 'Paused. Resume to continue where it left off.',
  cancelled: 'Cancelled. What was written so far is kept.',
} as const;

export class JobRunner {
  private readonly running = new Map<JobId, RunHandle>();
  private readonly runnerId = runnerId();
  /** Jobs other processes run, by what their row said at the last look (`watchOtherRuns`). */
  private readonly others = new Map<JobId, string>();
  private othersTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly jobs: JobsRepo,
    private readonly clock: Clock,
    /** Told whenever a job's status may have changed (to emit progress). */
    private readonly onChange: (id: JobId) => void,
  ) {}

  handle(id: JobId): RunHandle | undefined {
    return this.running.get(id);
  }

  /** Claims the job for this process and runs `body` in the background. */
  launch(id: JobId, doneAtStart: number, body: (run: RunHandle) => Promise<void>): void {
    const startedAt = this.clock.now();
    if (!this.jobs.claim(id, this.runnerId, startedAt, STALE_RUNNER_MS)) {
      throw new StudioFailure(
        'conflict',
        'This job is running in another window or process of the studio: pause it (from there or here) before going on with it here.',
      );
    }
    this.jobs.setStatus(id, 'running', null, startedAt);
    const beat = whileOpen(this.jobs, HEARTBEAT_MS, `job ${id}'s heartbeat`, () =>
      this.jobs.heartbeat(id, this.runnerId, this.clock.now()),
    );
    const run: RunHandle = {
      controller: new AbortController(),
      stopAs: null,
      stopMessage: null,
      done: Promise.resolve(),
      startedAt,
      doneAtStart,
      outageStreak: 0,
    };
    this.running.set(id, run);
    // A pause or cancel another process asked for (`stop`), looked for every second.
    const watch = whileOpen(this.jobs, STOP_REQUEST_CHECK_MS, `job ${id}'s look for a stop request`, () => {
      const asked = this.jobs.takeStopRequest(id, this.runnerId);
      if (asked) this.override(run, asked, stopMessages[asked]);
    });
    run.done = body(run)
      .catch((error: unknown) => {
        const known = error instanceof StudioFailure || isLlmError(error);
        if (!known) console.error(`job ${id} failed:`, error);
        const message = known ? error.message : `Unexpected error: ${errorText(error)}`;
        if (this.jobs.open && this.jobs.job(id)) this.jobs.setStatus(id, 'failed', message, this.clock.now());
      })
      .finally(() => {
        clearInterval(beat);
        clearInterval(watch);
        this.running.delete(id);
        // Neither the job (deleted meanwhile) nor the database (closed under the run) may be there.
        if (this.jobs.open && this.jobs.job(id)) {
          this.jobs.release(id, this.runnerId);
          this.onChange(id);
        }
      });
    this.onChange(id);
  }

  /** Asks a run to stop and become `status`; a stop already asked for keeps its reason. */
  requestStop(run: RunHandle, status: JobStatus, message: string): void {
    if (run.controller.signal.aborted) return;
    run.stopAs = status;
    run.stopMessage = message;
    run.controller.abort();
  }

  /**
   * Counts an item's outcome towards the outage streak; pauses the run when the provider has been
   * unreachable for `OUTAGE_STREAK` items in a row. Returns true when the error was an outage.
   */
  noteOutcome(run: RunHandle, error: unknown): boolean {
    if (!isOutage(error)) {
      run.outageStreak = 0;
      return false;
    }
    run.outageStreak++;
    if (run.outageStreak >= OUTAGE_STREAK) {
      // The gateway's message already says what to check ("Check that the server is running…").
      const reason = (error instanceof Error ? error.message : String(error)).trim();
      const sentence = /[.!?]$/.test(reason) ? reason : `${reason}.`;
      this.requestStop(
        run,
        'paused',
        `Paused: the provider is unreachable. ${sentence} Nothing is lost: resume once it answers.`,
      );
    }
    return true;
  }

  /** An explicit pause or cancel: it overrides a stop the run decided for itself. */
  private override(run: RunHandle, status: 'paused' | 'cancelled', message: string): void {
    run.stopAs = status;
    run.stopMessage = message;
    run.controller.abort();
  }

  /**
   * Stops a job: its run if it has one here; a run of another live process is asked to stop (it
   * does within `STOP_REQUEST_CHECK_MS`; the job stays `running` until then, its message saying
   * so); else its row (a job at rest, or one whose runner died).
   */
  stop(id: JobId, current: JobStatus, status: 'paused' | 'cancelled'): void {
    const message = stopMessages[status];
    const run = this.running.get(id);
    if (run) {
      this.override(run, status, message);
    } else if (current === 'running' && this.runsElsewhere(id)) {
      const asked = status === 'paused' ? 'Pausing' : 'Cancelling';
      if (!this.jobs.requestStop(id, status, `${asked}: asked of the process running it…`, this.clock.now()))
        throw new StudioFailure('conflict', 'The job stopped meanwhile; look at it again.');
      this.onChange(id); // the windows watching other runs (watchOtherRuns) show it stopped once it has
    } else if (current === 'running') {
      // Its runner is gone (a crash or kill not yet recovered): the job is at rest.
      this.jobs.forgetRunner(id);
      this.jobs.setStatus(id, status, message, this.clock.now());
      this.onChange(id);
    } else if (
      ['paused', 'interrupted', 'queued', 'failed'].includes(current) ||
      (status === 'cancelled' && current !== 'succeeded' && current !== 'cancelled')
    ) {
      this.jobs.setStatus(id, status, message, this.clock.now());
      this.onChange(id);
    } else {
      throw new StudioFailure(
        'invalid_argument',
        `A ${current} job cannot be ${status === 'paused' ? 'paused' : 'cancelled'}.`,
      );
    }
  }

  /**
   * Follows the jobs other processes run (a terminal's `generate` beside `serve` or the desktop
   * app): their rows are read every second, and `onChange` is told when one has moved (items done,
   * tokens, its status or message) and once more when it stops, so this process's windows show
   * that progress live. A few rows a second; only the doors with windows call it.
   */
  watchOtherRuns(): void {
    if (this.othersTimer) return;
    this.othersTimer = setInterval(() => this.lookAtOtherRuns(), OTHER_RUNS_CHECK_MS);
    this.othersTimer.unref();
  }

  private lookAtOtherRuns(): void {
    let seen: Map<JobId, string>;
    try {
      seen = new Map(this.jobs.otherRuns(this.runnerId).map((row) => [row.id, row.fingerprint]));
    } catch {
      this.stopWatchingOthers(); // the studio has closed meanwhile
      return;
    }
    for (const [id, fingerprint] of seen) {
      if (this.others.get(id) !== fingerprint && !this.running.has(id)) this.onChange(id);
      this.others.set(id, fingerprint);
    }
    for (const id of this.others.keys()) {
      if (seen.has(id)) continue;
      this.others.delete(id); // stopped (or taken over here): told once more, as it now is
      this.onChange(id);
    }
  }

  private stopWatchingOthers(): void {
    if (this.othersTimer) clearInterval(this.othersTimer);
    this.othersTimer = null;
  }

  /** Whether another process runs the job now: its runner is alive, or beat recently where that cannot be told. */
  private runsElsewhere(id: JobId): boolean {
    const row = this.jobs.job(id);
    if (!row?.runner || row.runner === this.runnerId) return false;
    const alive = runnerAlive(row.runner);
    if (alive !== null) return alive;
    return row.heartbeat_at !== null && this.clock.now() - row.heartbeat_at < STALE_RUNNER_MS;
  }

  /**
   * At start-up: jobs left running by a crash or quit become `interrupted`, and calls they left in
   * flight become `interrupted` calls (sent, perhaps billed, cost unknown). Returns the jobs.
   */
  recover(): number {
    // A runner on this machine whose process is gone died (a crash or kill): interrupt at once.
    // Runners elsewhere (a shared data folder) are judged by their heartbeat.
    for (const row of this.jobs.runningJobs()) {
      if (runnerAlive(row.runner) === false) this.jobs.forgetRunner(row.id);
    }
    const now = this.clock.now();
    const interrupted = this.jobs.markInterrupted(now, STALE_RUNNER_MS);
    this.jobs.callRecords.interruptOrphans(now);
    return interrupted;
  }

  async whenIdle(id: JobId): Promise<void> {
    await this.running.get(id)?.done;
  }

  /** Stops every run, leaving the jobs `interrupted` so they resume next time. */
  async shutdown(): Promise<void> {
    this.stopWatchingOthers();
    const all = [...this.running.values()];
    for (const run of all) {
      run.stopAs = 'interrupted';
      run.stopMessage = 'Stopped when the studio closed; resume to continue where it left off.';
      run.controller.abort();
    }
    await Promise.allSettled(all.map((run) => run.done));
  }
}

/**
 * Runs `tick` every `ms` (unref'd) while the database is open: once it has closed under the run (the
 * studio closed without stopping it), the timer stops instead of throwing from the loop. A tick that
 * fails with the database still open (busy past its timeout: another process held a long write) is
 * said once on the console and tried again at the next one; the timer goes on, so one busy moment
 * does not end a run's heartbeat (another process would then take the run for dead).
 */
function whileOpen(store: { readonly open: boolean }, ms: number, what: string, tick: () => void): NodeJS.Timeout {
  let failing = false;
  const timer = setInterval(() => {
    if (!store.open) {
      clearInterval(timer);
      return;
    }
    try {
      tick();
      failing = false;
    } catch (error) {
      if (!store.open) clearInterval(timer);
      else if (!failing) {
        failing = true;
        console.warn(`${what} failed (${errorText(error)}); trying again every ${ms / 1000} s`);
      }
    }
  }, ms);
  timer.unref();
  return timer;
}
