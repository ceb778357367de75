import type { RunId } from '../../../common/contract';
import { StudioFailure } from '../errors';
import type { UnfollowedRemoteRuns } from './remote-unfollowed';
import type { RunContext } from './run-context';
import { LIVE, type StopRequests } from './stop-requests';
import type { TrainingExports } from './training-exports';

/**
 * Stopping and cancelling a run wherever it trains: its local trainer (a line on its stdin), its
 * remote one (over SSH), the trainer of another process on this data folder (asked through
 * stop-requests.ts), or none (a stopped, interrupted or failed run is cancelled in the store). Its
 * own file beside training-service.ts, which keeps starting, resuming and reading runs.
 */
export class RunControl {
  constructor(
    private readonly context: RunContext,
    private readonly exports: TrainingExports,
    private readonly requests: StopRequests,
    /** Runs on SSH hosts that this process does not follow. */
    private readonly remote: UnfollowedRemoteRuns,
  ) {}

  /** Asks the run's trainer to save a checkpoint and stop (resumable); the run shows `stopping` until it has. */
  async stop(id: RunId): Promise<void> {
    const row = this.context.row(id);
    this.exports.refuseWhileExporting(id);
    const active = this.context.active.get(id);
    if (!active) {
      // Another process trains it: asked there (stop-requests.ts); it answers within a second. A
      // run on an SSH host: asked of the process that follows it, else over SSH from here.
      if (LIVE.includes(row.status) && this.requests.ask(row, 'stop')) return;
      if (LIVE.includes(row.status) && row.target !== 'local' && (await this.remote.askUnfollowed(id, 'stop'))) return;
      throw new StudioFailure('invalid_argument', `A ${row.status} run cannot be stopped.`);
    }
    if (active.kind === 'local') active.launcher.stop();
    else {
      if (active.launcher.remoteRunDir === null)
        throw new StudioFailure('conflict', `The run is still starting on ${active.label}; stop it once it trains.`);
      try {
        await active.launcher.stop();
      } catch (error) {
        throw new StudioFailure(
          'unavailable',
          `Could not ask the run on ${active.label} to stop: ${(error as Error).message}`,
        );
      }
    }
    this.context.repo.update(
      id,
      { status: 'stopping', message: 'Saving a checkpoint, then stopping…' },
      this.context.clock.now(),
    );
    this.context.changed(id, true);
  }

  /** Ends the run without saving: its trainer is told (or killed, remotely), or a resting run is cancelled at once. */
  async cancel(id: RunId): Promise<void> {
    const row = this.context.row(id);
    this.exports.refuseWhileExporting(id);
    const active = this.context.active.get(id);
    if (active?.kind === 'local') active.launcher.cancel();
    else if (active?.kind === 'remote') {
      if (active.launcher.remoteRunDir === null)
        throw new StudioFailure('conflict', `The run is still starting on ${active.label}; cancel it once it trains.`);
      active.cancelRequested = true;
      try {
        await active.launcher.kill();
      } catch (error) {
        active.cancelRequested = false;
        throw new StudioFailure(
          'unavailable',
          `Could not cancel the run on ${active.label}: ${(error as Error).message}`,
        );
      }
    } else if (LIVE.includes(row.status) && this.requests.ask(row, 'cancel')) {
      // Another process trains it: asked there (stop-requests.ts).
    } else if (LIVE.includes(row.status) && row.target !== 'local' && (await this.remote.askUnfollowed(id, 'cancel'))) {
      // On an SSH host: asked of the process that follows it, else cancelled there over SSH from here
      // (or here only, with a note saying where to stop it, when its host was deleted).
    } else if (row.status === 'interrupted' && (await this.remote.cancelInterrupted(id))) {
      // On an SSH host, where its trainer may still run: killed there if it does (or, the host
      // deleted or out of reach, a note says where to stop it by hand).
    } else if (['stopped', 'interrupted', 'failed', 'queued'].includes(row.status)) {
      this.context.repo.update(
        id,
        { status: 'cancelled', message: 'Cancelled.', finishedAt: this.context.clock.now() },
        this.context.clock.now(),
      );
      this.context.changed(id, true);
    } else throw new StudioFailure('invalid_argument', `A ${row.status} run cannot be cancelled.`);
  }
}
