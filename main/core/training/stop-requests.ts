import type { RunId } from '../../../common/contract';
import type { StopRequest, TrainingRunRow } from '../../store/training-repo';
import { runnerAlive } from '../runner';
import type { RunContext } from './run-context';

/** Statuses of a run whose trainer is working: stop and cancel reach it through its process. */
export const LIVE: readonly string[] = ['running', 'stopping'];

/** How often the requests are looked for, and the asked runs read again, milliseconds. */
const CHECK_MS = 1_000;

/**
 * Stops and cancels across processes (the CLI beside `serve`, or the reverse). The asking process
 * records the request on the run (`stop_request`, migration 033); the process that trains it (its
 * `runner`) looks for requests every CHECK_MS while it drives any run, and stops or cancels the run
 * as its own button would. The asking process follows the runs it asked until they end, so its
 * windows see them stop. No timer runs while this process neither drives nor waits on a run.
 */
export class StopRequests {
  private timer: NodeJS.Timeout | null = null;
  /** Runs asked of another process, with the `updated_at` last told: a change goes out as `changed`. */
  private readonly asked = new Map<RunId, number>();

  constructor(
    private readonly context: RunContext,
    /** Stops or cancels a run this process drives (TrainingService.stop / cancel). */
    private readonly act: (id: RunId, request: StopRequest) => Promise<unknown>,
  ) {}

  /**
   * Asks for `request` of a live run this process does not drive. A run whose process has died is
   * settled here at once (stop: interrupted and resumable; cancel: cancelled). False when no
   * process can be told to hold it (no runner recorded, another machine's, a remote run's pid):
   * nothing was changed.
   */
  ask(row: TrainingRunRow, request: StopRequest): boolean {
    const { repo, clock } = this.context;
    const runner = row.runner;
    const alive = runner === null ? null : runnerAlive(runner);
    if (runner === null || alive === null) return false;
    if (alive) {
      const patch =
        request === 'stop'
          ? {
              status: 'stopping' as const,
              message: 'Stopping: asked the process training this run to save a checkpoint and stop…',
            }
          : { message: 'Cancelling: asked the process training this run to cancel it…' };
      if (!repo.requestStop(row.id, runner, request, patch, clock.now())) return false;
      this.asked.set(row.id, this.context.row(row.id).updated_at);
      this.watch();
    } else {
      const ended = `The process training this run (${runner}) has ended without saying so`;
      repo.update(
        row.id,
        request === 'stop'
          ? {
              status: 'interrupted',
              message: `${ended}; nothing was left to stop. Resume the run to continue from its last checkpoint.`,
              runner: null,
              stopRequest: null,
            }
          : {
              status: 'cancelled',
              message: `Cancelled. (${ended}.)`,
              runner: null,
              stopRequest: null,
              finishedAt: clock.now(),
            },
        clock.now(),
      );
    }
    this.context.changed(row.id, true);
    return true;
  }

  /** Looks for requests while this process drives a run or waits on one it asked; called as a run starts. */
  watch(): void {
    this.timer ??= setInterval(() => this.check(), CHECK_MS).unref();
  }

  private check(): void {
    const { repo, clock, active } = this.context;
    let requests: { id: RunId; stop_request: StopRequest }[];
    try {
      requests = repo.stopRequests();
    } catch {
      this.end(); // the studio has closed its database
      return;
    }
    for (const { id, stop_request: request } of requests) {
      if (!active.has(id)) continue; // another process's run, or a studio of this process that is not this one
      repo.update(id, { stopRequest: null }, clock.now());
      this.act(id, request).catch((error: unknown) => {
        repo.update(
          id,
          {
            message: `Could not ${request} the run as asked: ${error instanceof Error ? error.message : String(error)}`,
          },
          clock.now(),
        );
        this.context.changed(id, true);
      });
    }
    for (const [id, told] of this.asked) {
      const row = repo.get(id);
      if (row && row.updated_at !== told) {
        this.asked.set(id, row.updated_at);
        this.context.changed(id, true);
      }
      if (!row || !LIVE.includes(row.status)) this.asked.delete(id);
    }
    if (active.size === 0 && this.asked.size === 0) this.end();
  }

  private end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
