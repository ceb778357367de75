/**
 * Runs the trainer on a remote machine over SSH (ssh2), detached from the connection.
 *
 * Remote layout under `remoteRoot` (default `~/.character-studio`):
 *   trainer/<content hash>/   the uploaded character_trainer package (+ requirements.txt), shared by runs
 *   venv/                     created only when the configured python lacks the pinned packages
 *   runs/<runId>/             job.json, dataset.jsonl, events.jsonl, checkpoints, adapter, …
 *                             plus pid, exit_code, stdout.log, stderr.log written by the launch wrapper
 *
 * The run survives the connection: `start` launches it with `setsid nohup` and records its pid; the
 * launcher then polls events.jsonl by byte offset. A dropped connection is re-opened with backoff
 * and following goes on from the same offset; after an app restart, `attach(runId, lastSeq)` picks
 * up from the last seq the studio stored. Either way no event is lost or repeated.
 * Stop: a STOP file in the run folder (the trainer checks it at each step). Exit: the terminal
 * event plus the wrapper process gone; the code comes from the `exit_code` file.
 *
 * Serving (`startServe`, ssh-serve.ts) runs the trainer's `serve` the same way and tunnels to it.
 * The parts: ssh-session.ts (connection, host keys, commands), ssh-files.ts (SFTP),
 * ssh-environment.ts (the trainer and its Python on the host, detached launches), ssh-serve.ts and
 * ssh-tunnel.ts (serving); this file follows runs and is the one object callers hold.
 *
 * Uploads write `<name>.part` and rename it into place, and the trainer folder's `.complete` marker
 * comes last, so a connection lost mid-upload (TrainerLaunchError `connection_lost`: nothing was
 * started) leaves no torn file under a final name; the next upload skips the trainer files already
 * whole and goes on.
 */
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DoneEvent, ErrorEvent, TrainerEvent } from '../../../common/trainer-protocol';
import { EventFollower } from './events';
import { RUN_FILES, type TrainerJob } from './job';
import { LineSplitter, TrainerLaunchError } from './python-env';
import { describeExit, type TrainerExit } from './supervision';
import { shellQuote } from './shell';
import { UploadMeter } from './ssh-files';
import { RemoteTrainerEnvironment, type ProcessFiles } from './ssh-environment';
import { SshModelServer, type FollowedProcess, type RemoteServeJob, type RemoteServing } from './ssh-serve';
import {
  SshHostKeyError,
  SshSession,
  type ExecResult,
  type SshHostConfig,
  type SshLauncherEvents,
  type SshSessionOptions,
} from './ssh-session';

export { shellQuote } from './shell';
export type { RemoteServeJob, RemoteServing } from './ssh-serve';
export { SshHostKeyError, type SshConnectionState, type SshHostConfig, type SshLauncherEvents } from './ssh-session';

export interface SshLauncherOptions extends SshSessionOptions {
  /** Local folder holding the character_trainer package and requirements.txt. */
  trainerDir: string;
  /** How often events.jsonl is polled. Milliseconds. */
  pollMs?: number;
  /** Waits between reconnect attempts; the last one repeats. Milliseconds. */
  reconnectDelaysMs?: number[];
  maxReconnectAttempts?: number;
}

/**
 * The remote shell command that runs `character_trainer train`: plain python for one GPU, else
 * torchrun through `python -m torch.distributed.run` (so no `torchrun` on PATH is needed).
 */
export function trainerCommand(python: string, jobPath: string, gpuCount = 1): string {
  const launcher =
    gpuCount > 1 ? `-m torch.distributed.run --standalone --nproc_per_node ${Math.floor(gpuCount)} ` : '';
  return `${shellQuote(python)} ${launcher}-m character_trainer train --job ${shellQuote(jobPath)}`;
}

export interface RemoteRun {
  runId: string;
  runDir: string;
  pid: number;
  python: string;
}

const TRAIN_FILES: ProcessFiles = { pid: 'pid', exitCode: 'exit_code', stdout: 'stdout.log', stderr: 'stderr.log' };

export class SshTrainerLauncher extends EventEmitter<SshLauncherEvents> {
  private readonly session: SshSession;
  private readonly environment: RemoteTrainerEnvironment;
  private readonly server: SshModelServer;
  private run: FollowedProcess | null = null;
  private follower: EventFollower | null = null;
  private stderrOffset = 0;
  private stderrLines = new LineSplitter((line) => this.emit('log', line));
  private terminal: DoneEvent | ErrorEvent | null = null;
  private following = false;
  private loop: Promise<void> | null = null;
  private exitPromise: Promise<TrainerExit> | null = null;
  private polls = 0;

  constructor(
    private readonly host: SshHostConfig,
    private readonly options: SshLauncherOptions,
  ) {
    super();
    const log = (line: string): void => {
      this.emit('log', line);
    };
    this.session = new SshSession(host, options, log);
    this.environment = new RemoteTrainerEnvironment(this.session, host, options.trainerDir, log);
    this.server = new SshModelServer(
      this.session,
      this.environment,
      {
        following: () => this.following,
        follow: (process, eventsAt, stderrAt) => {
          this.run = process;
          this.beginFollowing(0, eventsAt, stderrAt);
        },
        stopFollowing: async () => {
          this.following = false;
          // A request in flight on a dead connection may never be answered: wait for the loop a while only.
          await Promise.race([this.loop, sleep(3_000)]);
        },
        forget: () => {
          this.run = null;
        },
      },
      this,
    );
  }

  get connected(): boolean {
    return this.session.connected;
  }

  /** Highest event seq delivered; store it to re-attach after a restart. */
  get lastSeq(): number {
    return this.follower?.lastSeq ?? 0;
  }

  get remoteRunDir(): string | null {
    return this.run?.runDir ?? null;
  }

  get remoteRoot(): string {
    return this.session.remoteRoot;
  }

  /** Opens the connection (verifying the host key). Throws SshHostKeyError or TrainerLaunchError. */
  connect(): Promise<void> {
    return this.session.connect();
  }

  /**
   * Uploads a local folder's files (recursive) into `remoteDir` (see `SftpFiles.uploadFolder`);
   * returns how many files were sent.
   */
  uploadFolder(
    localDir: string,
    remoteDir: string,
    files?: string[],
    options: { resume?: boolean; what?: string } = {},
  ): Promise<number> {
    return this.session.remote().uploadFolder(localDir, remoteDir, files, options);
  }

  /**
   * Downloads a remote file or folder (recursive) into `localDir`; a relative `remotePath` is taken
   * in the followed run's folder (else the remote root). Returns the local files written.
   */
  download(remotePath: string, localDir: string): Promise<string[]> {
    const absolute = remotePath.startsWith('/')
      ? remotePath
      : posix.join(this.run?.runDir ?? this.remoteRoot, remotePath);
    return this.session.remote().download(absolute, localDir);
  }

  /** Runs a command remotely; `onLine` gets its stdout and stderr lines as they come. */
  exec(command: string, onLine?: (line: string) => void): Promise<ExecResult> {
    return this.session.exec(command, onLine);
  }

  // ── trainer, venv, launch ───────────────────────────────────────────────────────────────────

  /** Uploads the trainer package once per content version; returns its remote folder. */
  uploadTrainer(): Promise<string> {
    return this.environment.uploadTrainer();
  }

  /** The remote interpreter to run with, set up when needed (RemoteTrainerEnvironment.bootstrap). */
  bootstrap(trainerRemote: string): Promise<string> {
    return this.environment.bootstrap(trainerRemote);
  }

  /**
   * Uploads the trainer, the dataset and the job into `runs/<runId>/`, makes sure Python is ready,
   * launches the run detached and starts following its events. `job.run_dir` and `job.dataset`
   * are replaced by their remote paths; `base_model` must name a hub id or a folder on the remote.
   */
  async start(runId: string, job: Omit<TrainerJob, 'run_dir' | 'dataset'>, datasetFile: string): Promise<RemoteRun> {
    if (this.following)
      throw new TrainerLaunchError('already_running', 'This launcher is already following a run; detach first.');
    if (!/^[A-Za-z0-9._-]+$/.test(runId))
      throw new TrainerLaunchError(
        'spawn_failed',
        `Run id "${runId}" may hold only letters, digits, dot, dash and underscore.`,
      );
    await this.session.connect();
    const trainerRemote = await this.uploadTrainer();
    const runDir = posix.join(this.session.remoteRoot, 'runs', runId);
    const dataset = posix.join(runDir, 'dataset.jsonl');
    const jobPath = posix.join(runDir, RUN_FILES.job);
    await this.session.whileConnected('uploading the dataset and the job', async () => {
      await this.session.remote().mkdirs([runDir]);
      const size = (await stat(datasetFile)).size;
      const meter = new UploadMeter('the dataset', size, (line) => this.emit('log', line));
      await this.session.remote().put(datasetFile, dataset, (sent) => meter.file(sent));
      meter.fileDone(size);
      meter.finish();
      await this.session
        .remote()
        .writeRemote(jobPath, `${JSON.stringify({ ...job, run_dir: runDir, dataset }, null, 2)}\n`);
    });
    const python = await this.session.whileConnected('preparing Python (the venv and its packages)', () =>
      this.bootstrap(trainerRemote),
    );

    const pid = await this.environment.launchDetached(
      runDir,
      trainerRemote,
      trainerCommand(python, jobPath, this.host.gpuCount),
      TRAIN_FILES,
      'Starting the trainer',
    );
    this.run = { runId, runDir, pid, files: TRAIN_FILES };
    this.beginFollowing(0);
    return { runId, runDir, pid, python };
  }

  /** Follows a run started earlier (by this or an earlier studio session), skipping events up to `afterSeq`. */
  async attach(runId: string, afterSeq: number): Promise<RemoteRun> {
    if (this.following)
      throw new TrainerLaunchError('already_running', 'This launcher is already following a run; detach first.');
    await this.session.connect();
    const runDir = posix.join(this.session.remoteRoot, 'runs', runId);
    const { data } = await this.session.remote().readFrom(posix.join(runDir, 'pid'), 0);
    const pid = Number(data.toString('utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0)
      throw new TrainerLaunchError(
        'not_running',
        `No run "${runId}" was started on ${this.session.hostName} (${runDir}/pid is missing).`,
      );
    this.run = { runId, runDir, pid, files: TRAIN_FILES };
    this.beginFollowing(afterSeq);
    return { runId, runDir, pid, python: this.host.python ?? 'python3' };
  }

  /** `offset`: where in events.jsonl to start reading (bytes); earlier lines are someone else's (a server after training). */
  private beginFollowing(afterSeq: number, offset = 0, stderrOffset = 0): void {
    this.follower = new EventFollower({
      afterSeq,
      offset,
      onInvalidLine: (problem) => this.emit('protocolError', problem),
    });
    this.terminal = null;
    this.stderrOffset = stderrOffset;
    this.polls = 0;
    this.following = true;
    this.exitPromise = new Promise((resolve) => this.once('exit', resolve));
    this.loop = this.follow();
  }

  /** Resolves with how the followed run ended. */
  waitForExit(): Promise<TrainerExit> {
    if (!this.exitPromise)
      return Promise.reject(new TrainerLaunchError('not_running', 'No remote run is being followed.'));
    return this.exitPromise;
  }

  // ── following ───────────────────────────────────────────────────────────────────────────────

  private async follow(): Promise<void> {
    while (this.following) {
      if (!this.connected && this.server.active) {
        // The tunnel died with the connection; a new one would be another server's business.
        this.following = false;
        this.server.closeTunnel();
        this.emit(
          'connection',
          'failed',
          `The connection to ${this.session.hostName} was lost; the tunnel to the model server is closed.`,
        );
        break;
      }
      if (!this.connected) {
        try {
          await this.reconnect();
        } catch (error) {
          this.following = false;
          this.emit('connection', 'failed', (error as Error).message);
          break;
        }
        if (!this.following) break;
      }
      try {
        // Raced against the connection's close: a poll whose channel dies under it ends at once
        // rather than waiting on ssh2 to settle its requests.
        await this.session.whileConnected('following the run', () => this.pollOnce());
      } catch (error) {
        if (!this.connected) continue; // dropped mid-poll: reconnect at once, then read on from the same offset
        this.emit('log', `while following the remote run: ${(error as Error).message}`);
      }
      if (this.following) await sleep(this.options.pollMs ?? 1_000);
    }
  }

  private async reconnect(): Promise<void> {
    const delays = this.options.reconnectDelaysMs ?? [500, 1_000, 2_000, 5_000, 10_000, 30_000];
    const max = this.options.maxReconnectAttempts ?? 50;
    this.emit('connection', 'lost', `The connection to ${this.session.hostName} dropped; reconnecting.`);
    for (let attempt = 0; attempt < max && this.following; attempt++) {
      await sleep(delays[Math.min(attempt, delays.length - 1)] ?? 1_000);
      if (!this.following) return;
      try {
        await this.session.connect();
        this.emit('connection', 'restored', `Reconnected to ${this.session.hostName} after ${attempt + 1} attempt(s).`);
        return;
      } catch (error) {
        if (error instanceof SshHostKeyError || (error instanceof TrainerLaunchError && error.reason === 'ssh_auth'))
          throw error;
        this.emit('log', `reconnect attempt ${attempt + 1} failed: ${(error as Error).message}`);
      }
    }
    throw new TrainerLaunchError(
      'ssh_connect',
      `Could not reconnect to ${this.session.hostName} after ${max} attempts; the run may still be going: attach to it later.`,
    );
  }

  private async readEvents(): Promise<void> {
    const run = this.run!;
    const follower = this.follower!;
    const { size, data } = await this.session
      .remote()
      .readFrom(posix.join(run.runDir, RUN_FILES.events), follower.readPosition);
    if (size < follower.readPosition) follower.rewind();
    else if (data.length) this.deliver(follower.push(data));
    const stderr = await this.session.remote().readFrom(posix.join(run.runDir, run.files.stderr), this.stderrOffset);
    if (stderr.data.length) {
      this.stderrOffset += stderr.data.length;
      this.stderrLines.push(stderr.data.toString('utf8'));
    }
  }

  private deliver(events: TrainerEvent[]): void {
    for (const event of events) {
      if (event.type === 'done' || event.type === 'error') this.terminal = event;
      this.emit('event', event);
    }
  }

  private async pollOnce(): Promise<void> {
    await this.readEvents();
    this.polls++;
    if (!this.terminal && this.polls % 5 !== 0) return;
    const run = this.run!;
    const probe = await this.session.exec(
      `kill -0 ${run.pid} 2>/dev/null && echo alive; cat ${shellQuote(posix.join(run.runDir, run.files.exitCode))} 2>/dev/null || true`,
    );
    if (!this.connected || probe.code === null) throw new Error('connection lost while probing the run');
    if (probe.stdout.includes('alive')) return;
    await this.readEvents(); // whatever the trainer wrote last
    this.stderrLines.end();
    const code = /^\s*(\d+)\s*$/.exec(probe.stdout)?.[1];
    this.following = false;
    this.emit(
      'exit',
      describeExit(code === undefined ? null : Number(code), code === undefined ? 'unknown' : null, this.terminal),
    );
  }

  // ── serving (ssh-serve.ts) ───────────────────────────────────────────────────────────────────

  /** The server this launcher tunnels to, once it is ready; null before and after. */
  get served(): RemoteServing | null {
    return this.server.served;
  }

  /**
   * Serves the run in `runs/<runId>/` (trained there earlier) on the host and opens the local end
   * of the tunnel; resolves once the server answers. See SshModelServer.start.
   */
  startServe(runId: string, job: RemoteServeJob): Promise<RemoteServing> {
    return this.server.start(runId, job);
  }

  /** Ends serving on the host, the tunnel and the connection; never throws for an unreachable host. Milliseconds. */
  stopServe(graceMs?: number): Promise<void> {
    return this.server.stop(graceMs);
  }

  // ── control ─────────────────────────────────────────────────────────────────────────────────

  /** Asks the run to save a checkpoint and exit (the STOP file); the exit arrives as 'exit'. */
  async stop(): Promise<void> {
    const run = this.run;
    if (!run) throw new TrainerLaunchError('not_running', 'No remote run is being followed.');
    await this.connect();
    await this.session
      .remote()
      .writeRemote(posix.join(run.runDir, RUN_FILES.stop), 'stop requested by Character Studio\n');
  }

  /** Kills the run's process group at once; nothing is saved beyond the last checkpoint. */
  async kill(): Promise<void> {
    const run = this.run;
    if (!run) throw new TrainerLaunchError('not_running', 'No remote run is being followed.');
    await this.connect();
    await this.session.exec(`kill -KILL -- -${run.pid} 2>/dev/null || kill -KILL ${run.pid} 2>/dev/null || true`);
  }

  /** Stops following and closes the connection; the remote run goes on (attach to it later). */
  async detach(): Promise<void> {
    this.following = false;
    this.session.close();
    await this.loop;
  }
}
