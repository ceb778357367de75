import type { HostId, RunId } from '../../../common/contract';
import { clause, errorText } from '../../../common/sentence';
import type { StopRequest } from '../../store/training-repo';
import { StudioFailure } from '../errors';
import type { RemoteHosts } from './host-service';
import { cancelledUnreachedNote } from './remote-place';
import { detachWithin } from './remote-runs';
import type { RunContext } from './run-context';

/**
 * Stopping and cancelling runs on SSH hosts that no process of this studio follows here (a
 * terminal's `train stop` beside `serve`, the Train tab for a run the CLI started, a run a studio
 * restart left interrupted): the process that follows it is asked first (stop-requests.ts), then
 * the trainer is reached over SSH from here, and when nothing can reach it the run's note says how
 * to stop it by hand. Its own file beside remote-runs.ts, which launches and follows runs.
 */
export class UnfollowedRemoteRuns {
  constructor(
    private readonly context: RunContext,
    /** SSH hosts; null when the studio has none. */
    private readonly hosts: RemoteHosts | null,
    /** Follows the run from this process (RemoteRuns.launch in 'attach' mode). */
    private readonly attach: (id: RunId) => void,
  ) {}

  /**
   * Stops or cancels a live run on an SSH host that this process does not follow (a terminal's
   * `train stop` beside `serve`, the Train tab for a run the CLI started, or either after a studio
   * restart). The request is recorded on the run first: a process that follows it (serve, the app)
   * takes it within a second (stop-requests.ts) and acts as its own button would, checkpoint
   * download included. When none has taken it after `handshakeMs`, this process acts on the host
   * itself over SSH: a stop writes the run's STOP file and then follows the run from here (as
   * `attach` does), so it ends `stopped` with its checkpoint brought home, or `interrupted` with the
   * reason if the host is lost meanwhile (await `active.exited` for that); a cancel kills it and
   * records the run cancelled. A host that cannot be reached changes nothing, unless the run was
   * already `stopping` (asked earlier, with nobody left to see it through): that run is settled
   * `interrupted` with the reason, never left stopping; so is a run asked to stop whose host is gone
   * from the settings. A cancel whose host is gone ends the run `cancelled` here only, with a note
   * saying the trainer may still run there and how to stop it by hand (cancelWithoutHost).
   */
  async askUnfollowed(id: RunId, request: StopRequest, handshakeMs = HANDSHAKE_MS): Promise<boolean> {
    const { repo, clock } = this.context;
    const row = this.context.row(id);
    const found = this.hosts?.launcherFor(row.target as HostId) ?? null;
    if (!found && request === 'stop') {
      // Nobody can reach it to see the stop through: a resting state that says why and what to do.
      repo.update(
        id,
        {
          status: 'interrupted',
          message:
            'The SSH host of this run was deleted, so nothing could see the stop through. Add the host again in Settings → Hosts and resume to re-attach to the run, or cancel it.',
          runner: null,
          stopRequest: null,
        },
        clock.now(),
      );
      this.context.changed(id, true);
      return true;
    }
    if (!found) return this.cancelWithoutHost(id);
    const { launcher, label } = found;
    const asking =
      request === 'stop'
        ? `Stopping: asked the run on ${label} to save a checkpoint and stop…`
        : `Cancelling the run on ${label}…`;
    repo.update(
      id,
      request === 'stop'
        ? { status: 'stopping', message: asking, stopRequest: 'stop' }
        : { message: asking, stopRequest: 'cancel' },
      clock.now(),
    );
    this.context.changed(id, true);
    if (await takenWithin(() => repo.get(id)?.stop_request !== request, handshakeMs)) return true;
    try {
      if (request === 'stop') await launcher.stopUnfollowed(id);
      else await launcher.killUnfollowed(id);
    } catch (error) {
      // Said inside a sentence of ours: its own full stop would double ours.
      const reason = clause(errorText(error));
      if (row.status === 'stopping') {
        // Asked to stop before, and nobody can see it through: a resting state that says why, not `stopping` for ever.
        repo.update(
          id,
          {
            status: 'interrupted',
            message: `Could not reach ${label} to see the stop through: ${reason}. The run may have stopped there or still be running: resume to re-attach to it, or to restart it from its last checkpoint.`,
            runner: null,
            stopRequest: null,
          },
          clock.now(),
        );
        this.context.changed(id, true);
        return true;
      }
      // As it was before the request: nothing happened on the host.
      repo.update(id, { status: row.status, message: row.message, stopRequest: null }, clock.now());
      this.context.changed(id, true);
      throw new StudioFailure(
        'unavailable',
        `Could not reach ${label} to ${request} the run: ${reason}. Nothing was changed there.`,
      );
    } finally {
      await detachWithin(launcher);
    }
    if (request === 'stop') {
      repo.update(id, { stopRequest: null, message: asking }, clock.now());
      // Followed from here until the trainer has saved its checkpoint and exited.
      this.attach(id);
      return true;
    }
    this.endCancelled(id, `Cancelled on ${label}; nothing was saved beyond the last checkpoint there.`);
    return true;
  }

  /** Ends the run `cancelled` with `message`, released by any runner, and tells the doors. */
  private endCancelled(id: RunId, message: string): void {
    const { repo, clock } = this.context;
    repo.update(
      id,
      { status: 'cancelled', message, runner: null, stopRequest: null, finishedAt: clock.now() },
      clock.now(),
    );
    this.context.changed(id, true);
  }

  /**
   * Cancels a run whose SSH host is gone from the settings, in the studio only: nothing can reach
   * the machine, so the run's note says the trainer may still be running there and where to stop it
   * by hand (remote-place.ts). Its logs and fetched files stay. False when the run is local or its
   * host still exists.
   */
  private cancelWithoutHost(id: RunId): boolean {
    const row = this.context.row(id);
    if (row.target === 'local' || this.hosts?.machineOf(row.target as HostId)) return false;
    this.endCancelled(id, cancelledUnreachedNote(row));
    return true;
  }

  /**
   * Cancels an `interrupted` run on an SSH host: its trainer may still be running there (the studio
   * lost it, or quit before it could re-attach), so it is killed over SSH if it is, and the run ends
   * cancelled here either way. A host that cannot be reached is said in the note, with how to stop
   * the trainer by hand. False when the run is local.
   */
  async cancelInterrupted(id: RunId): Promise<boolean> {
    const row = this.context.row(id);
    if (row.target === 'local') return false;
    const found = this.hosts?.launcherFor(row.target as HostId) ?? null;
    if (!found) return this.cancelWithoutHost(id);
    const { launcher, label } = found;
    let killed: boolean;
    try {
      killed = await launcher.killUnfollowed(id);
    } catch (error) {
      const reason = clause(errorText(error));
      this.endCancelled(id, cancelledUnreachedNote(row, `the studio could not reach ${label} (${reason})`));
      return true;
    } finally {
      await detachWithin(launcher);
    }
    this.endCancelled(
      id,
      killed
        ? `Cancelled on ${label}: its trainer was still running there and is stopped; nothing was saved beyond the last checkpoint there.`
        : `Cancelled. Its trainer was no longer running on ${label}.`,
    );
    return true;
  }
}

/** How long a request waits for a process that follows the run to take it (it looks every second). */
const HANDSHAKE_MS = 2_500;

/** Whether `taken()` comes true within `ms`, looked at every 100 ms. */
async function takenWithin(taken: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (taken()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return taken();
}
