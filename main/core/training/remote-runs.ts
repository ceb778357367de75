import fs from 'node:fs';
import path, { posix } from 'node:path';
import type { HostId, RunId, RunStatus } from '../../../common/contract';
import type { StopRequest } from '../../store/training-repo';
import { StudioFailure } from '../errors';
import { TrainerLaunchError } from '../trainer/python-env';
import { shellQuote, type SshTrainerLauncher } from '../trainer/ssh-launcher';
import type { TrainerExit } from '../trainer/supervision';
import type { RemoteRun } from './active-runs';
import type { RemoteHosts } from './host-service';
import type { RunContext } from './run-context';
import { trainerJobFor } from './run-config';
import type { RunMirror } from './run-mirror';
import { cancelledUnreachedNote, placeOf } from './remote-place';

/**
 * Runs on SSH hosts, driven in the background (uploading and pip can take minutes): `start` uploads
 * and launches a run, `resume` re-attaches when its process is still alive on the host and else
 * restarts it from its last checkpoint, `attach` follows a run an earlier studio started. Remote
 * runs outlive the studio: detaching leaves them training, and the next start re-attaches.
 */
export class RemoteRuns {
  constructor(
    private readonly context: RunContext,
    private readonly mirror: RunMirror,
    /** SSH hosts; null when the studio has none. */
    private readonly hosts: RemoteHosts | null,
  ) {}

  /** The run is registered at once, so `active.exited` waits for it; failures land on the run's row. */
  launch(id: RunId, mode: 'start' | 'resume' | 'attach'): void {
    const { repo, clock } = this.context;
    const changed = (): void => this.context.changed(id, true);
    const row = this.context.row(id);
    const found = this.hosts?.launcherFor(row.target as HostId) ?? null;
    if (!found) {
      repo.update(
        id,
        {
          status: mode === 'start' ? 'failed' : 'interrupted',
          message: 'The SSH host of this run was deleted; add it again in Settings → Hosts to reach the run.',
          runner: null,
        },
        clock.now(),
      );
      changed();
      return;
    }
    const { launcher, label, login } = found;
    // The run's trainer as the doors name it, and where it lives on the host (remote-place.ts).
    const livesAt = (pid: number) => ({
      runner: `${label} pid ${pid}`,
      remotePlace: placeOf(login, launcher.runDirOf(id), pid),
    });
    let settle = (): void => undefined;
    const exited = new Promise<void>((resolve) => (settle = resolve));
    const active: RemoteRun = {
      kind: 'remote',
      launcher,
      label,
      exited,
      settle: () => undefined,
      cancelRequested: false,
      detaching: false,
    };
    active.settle = () => {
      this.context.active.delete(id, active);
      settle();
    };
    this.context.active.set(id, active);

    const mapPath = (remotePath: string): string => localPathOf(remotePath, launcher.remoteRunDir, row.run_dir);
    launcher.on('event', (event) => this.mirror.onEvent(id, event, 'train', mapPath));
    launcher.on('log', (line) => this.context.logged(id, line));
    launcher.on('connection', (state, detail) => {
      if (state === 'failed') {
        if (active.detaching) return;
        repo.update(
          id,
          {
            status: 'interrupted',
            message: `Lost the connection to ${label} (${detail}). The run may still be running there: resume to re-attach to it, or to restart it from its last checkpoint if it has ended.`,
            runner: null,
          },
          clock.now(),
        );
        changed();
        active.settle();
        return;
      }
      repo.update(id, { message: state === 'lost' ? 'Connection lost, reconnecting…' : null }, clock.now());
      changed();
    });
    launcher.once('exit', (exit) => {
      void this.finish(id, active, exit).finally(() => active.settle());
    });

    const begin = async (): Promise<void> => {
      if (mode !== 'start') await launcher.connect();
      const alive = mode === 'attach' || (mode === 'resume' && (await remoteRunAlive(launcher, id)));
      if (active.detaching) return;
      if (alive) {
        const before = this.context.row(id);
        const run = await launcher.attach(id, before.last_seq);
        // A run asked to stop stays `stopping`, with what it was told, until its trainer has saved and exited.
        const stopping = before.status === 'stopping';
        repo.update(
          id,
          {
            status: stopping ? 'stopping' : 'running',
            message: stopping ? before.message : null,
            ...livesAt(run.pid),
            finishedAt: null,
          },
          clock.now(),
        );
      } else {
        repo.update(
          id,
          { status: 'running', message: `Uploading the trainer and the dataset to ${label}…`, finishedAt: null },
          clock.now(),
        );
        changed();
        const { run_dir: _runDir, dataset: _dataset, ...job } = trainerJobFor(this.context.row(id));
        const run = await launcher.start(id, job, path.join(row.run_dir, 'dataset.jsonl'));
        repo.update(
          id,
          {
            status: 'running',
            message: null,
            ...livesAt(run.pid),
          },
          clock.now(),
        );
      }
      changed();
    };
    if (mode !== 'attach') {
      repo.update(
        id,
        { status: 'running', message: `Connecting to ${label}…`, runner: null, finishedAt: null },
        clock.now(),
      );
      changed();
    }
    begin().catch(async (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      // A connection lost before the launch left nothing running and nothing torn: resumable, and its message says so.
      const lost = error instanceof TrainerLaunchError && error.reason === 'connection_lost';
      const status: RunStatus = mode === 'start' && !lost ? 'failed' : 'interrupted';
      const text =
        mode === 'start' || lost
          ? message
          : `Cannot reach the run on ${label}: ${message} The run may still be running there: resume to re-attach to it, or to restart it from its last checkpoint if it has ended.`;
      if (!active.detaching && repo.get(id)) {
        repo.update(
          id,
          { status, message: text, runner: null, ...(status === 'failed' && { finishedAt: clock.now() }) },
          clock.now(),
        );
        changed();
      }
      await detachWithin(launcher);
      active.settle();
    });
  }

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
      const reason = (error as Error).message.replace(/\.+$/, '');
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
      this.launch(id, 'attach');
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
  cancelWithoutHost(id: RunId): boolean {
    const row = this.context.row(id);
    if (row.target === 'local' || this.hosts?.machineOf(row.target as HostId)) return false;
    this.endCancelled(id, cancelledUnreachedNote(row));
    return true;
  }

  /**
   * Stops following every remote run and closes their connections; they go on training on their
   * hosts and stay `running` here, so the next studio start re-attaches to them.
   */
  async detachAll(): Promise<void> {
    await Promise.all(
      this.context.active.remote().map(async (run) => {
        run.detaching = true;
        await detachWithin(run.launcher);
        run.settle();
      }),
    );
  }

  /** The remote run is over: bring its artifacts home (adapter, manifest, checkpoint), then record the end as a local run would. */
  private async finish(id: RunId, active: RemoteRun, exit: TrainerExit): Promise<void> {
    const { repo, clock } = this.context;
    const { launcher, label } = active;
    let ended = exit;
    if (active.cancelRequested && exit.meaning !== 'done')
      ended = {
        ...exit,
        meaning: 'cancelled',
        message: 'Training cancelled; nothing was saved beyond the last checkpoint on the host.',
      };
    let problem: string | null = null;
    if (ended.meaning === 'done' || ended.meaning === 'stopped') {
      const row = this.context.row(id);
      const outputs = JSON.parse(row.outputs) as Record<string, string>;
      const wanted = Object.entries(outputs).filter(([kind]) => ended.meaning === 'done' || kind === 'checkpoint');
      repo.update(
        id,
        { message: `Downloading ${wanted.map(([kind]) => kind).join(', ')} from ${label}…` },
        clock.now(),
      );
      this.context.changed(id, true);
      for (const [kind, local] of wanted) {
        const remote = remotePathOf(local, row.run_dir, launcher.remoteRunDir);
        if (remote === null) continue;
        try {
          fs.rmSync(local, { recursive: true, force: true });
          await launcher.download(remote, path.dirname(local));
        } catch (error) {
          problem = `Could not download the ${kind} from ${label} (${(error as Error).message}); it is still there in ${remote}.`;
        }
      }
    }
    this.mirror.onExit(id, ended, 'train');
    if (problem) {
      repo.update(id, { message: problem }, clock.now());
      this.context.changed(id, true);
    }
    await detachWithin(launcher);
  }
}

/** Where a remote artifact lands locally: the same place under the local run folder; paths elsewhere stay as they are. */
function localPathOf(remotePath: string, remoteRunDir: string | null, localRunDir: string): string {
  if (!remoteRunDir || !remotePath.startsWith(`${remoteRunDir}/`)) return remotePath;
  return path.join(localRunDir, ...remotePath.slice(remoteRunDir.length + 1).split('/'));
}

/** The inverse of localPathOf; null when the path is not inside the local run folder. */
function remotePathOf(localPath: string, localRunDir: string, remoteRunDir: string | null): string | null {
  const rel = path.relative(localRunDir, localPath);
  if (!remoteRunDir || rel.startsWith('..') || path.isAbsolute(rel) || rel === '') return null;
  return posix.join(remoteRunDir, ...rel.split(path.sep));
}

/**
 * Detaches, waiting at most `ms` for the follow loop: an SSH request in flight when the connection
 * is closed may never be answered, and the studio must still close. Milliseconds.
 */
async function detachWithin(launcher: SshTrainerLauncher, ms = 3_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([launcher.detach(), timeout]);
  clearTimeout(timer);
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

/** Whether the run's detached process (its recorded pid) still lives on the host. */
async function remoteRunAlive(launcher: SshTrainerLauncher, id: RunId): Promise<boolean> {
  const pidFile = posix.join(launcher.runDirOf(id), 'pid');
  const probe = await launcher.exec(
    `pid=$(cat ${shellQuote(pidFile)} 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo alive`,
  );
  return probe.stdout.includes('alive');
}
