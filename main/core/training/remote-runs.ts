import fs from 'node:fs';
import path, { posix } from 'node:path';
import type { HostId, RunId, RunStatus } from '../../../common/contract';
import { TrainerLaunchError } from '../trainer/python-env';
import { shellQuote, type SshTrainerLauncher } from '../trainer/ssh-launcher';
import type { TrainerExit } from '../trainer/supervision';
import type { RemoteRun } from './active-runs';
import type { RemoteHosts } from './host-service';
import type { RunContext } from './run-context';
import { trainerJobFor } from './run-config';
import type { RunMirror } from './run-mirror';
import { placeOf } from './remote-place';

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
export async function detachWithin(launcher: SshTrainerLauncher, ms = 3_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([launcher.detach(), timeout]);
  clearTimeout(timer);
}

/** Whether the run's detached process (its recorded pid) still lives on the host. */
async function remoteRunAlive(launcher: SshTrainerLauncher, id: RunId): Promise<boolean> {
  const pidFile = posix.join(launcher.runDirOf(id), 'pid');
  const probe = await launcher.exec(
    `pid=$(cat ${shellQuote(pidFile)} 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo alive`,
  );
  return probe.stdout.includes('alive');
}
