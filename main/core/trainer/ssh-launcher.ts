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
 * ssh-environment.ts (the trainer and its Python on the host, detached launches),
 * ssh-run-follower.ts (following a run's events and exit, reconnecting), ssh-serve.ts and
 * ssh-tunnel.ts (serving); this file starts and attaches runs and is the one object callers hold.
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
import { RUN_FILES, type TrainerJob } from './job';
import { LineSplitter, TrainerLaunchError } from './python-env';
import type { TrainerExit } from './supervision';
import { shellQuote } from './shell';
import { UploadMeter } from './ssh-files';
import { RemoteTrainerEnvironment, type ProcessFiles } from './ssh-environment';
import { RunFollower, type FollowOptions } from './ssh-run-follower';
import { SshModelServer, type FollowedProcess, type RemoteServeJob, type RemoteServing } from './ssh-serve';
import {
  SshSession,
  type ExecResult,
  type SshHostConfig,
  type SshLauncherEvents,
  type SshSessionOptions,
} from './ssh-session';

export { shellQuote } from './shell';
export type { RemoteServeJob, RemoteServing } from './ssh-serve';
export { SshHostKeyError, type SshConnectionState, type SshHostConfig, type SshLauncherEvents } from './ssh-session';

export interface SshLauncherOptions extends SshSessionOptions, FollowOptions {
  /** Local folder holding the character_trainer package and requirements.txt. */
  trainerDir: string;
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
  private follower: RunFollower | null = null;
  private readonly stderrLines = new LineSplitter((line) => this.emit('log', line));
  private exitPromise: Promise<TrainerExit> | null = null;

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
          this.follower?.stop();
          // A request in flight on a dead connection may never be answered: wait for the loop a while only.
          await Promise.race([this.follower?.loop, sleep(3_000)]);
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

  /** Where the run `runId` lives on the host: its job, events, pid and STOP files. */
  runDirOf(runId: string): string {
    return posix.join(this.session.remoteRoot, 'runs', runId);
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
    const runDir = this.runDirOf(runId);
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
    const runDir = this.runDirOf(runId);
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

  /** Whether a run (or a server) is being followed now. */
  private get following(): boolean {
    return this.follower?.active ?? false;
  }

  /** Follows `this.run` (see RunFollower for the offsets). */
  private beginFollowing(afterSeq: number, offset = 0, stderrOffset = 0): void {
    const run = this.run;
    if (!run) throw new TrainerLaunchError('not_running', 'No remote run is being followed.');
    this.exitPromise = new Promise((resolve) => this.once('exit', resolve));
    const deps = {
      session: this.session,
      server: this.server,
      events: this,
      stderrLines: this.stderrLines,
      options: this.options,
    };
    this.follower = new RunFollower(deps, run, afterSeq, offset, stderrOffset);
  }

  /** Resolves with how the followed run ended. */
  waitForExit(): Promise<TrainerExit> {
    if (!this.exitPromise)
      return Promise.reject(new TrainerLaunchError('not_running', 'No remote run is being followed.'));
    return this.exitPromise;
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
    await this.writeStop(run.runDir);
  }

  /** Kills the run's process group at once; nothing is saved beyond the last checkpoint. */
  async kill(): Promise<void> {
    const run = this.run;
    if (!run) throw new TrainerLaunchError('not_running', 'No remote run is being followed.');
    await this.connect();
    await this.session.exec(`kill -KILL -- -${run.pid} 2>/dev/null || kill -KILL ${run.pid} 2>/dev/null || true`);
  }

  /**
   * Asks a run this launcher does not follow (another process follows it, or none) to save a
   * checkpoint and exit: its STOP file, in its folder on the host, as `stop` writes it.
   */
  stopUnfollowed(runId: string): Promise<void> {
    return this.writeStop(this.runDirOf(runId));
  }

  /** The STOP file the trainer looks for between steps: it saves a checkpoint and exits. */
  private async writeStop(runDir: string): Promise<void> {
    await this.connect();
    await this.session.remote().writeRemote(posix.join(runDir, RUN_FILES.stop), 'stop requested by Character Studio\n');
  }

  /**
   * Kills a run this launcher does not follow: the process group of the pid its folder records.
   * True when that process was alive and is now killed; false when none was running.
   */
  async killUnfollowed(runId: string): Promise<boolean> {
    await this.connect();
    const pidFile = shellQuote(posix.join(this.runDirOf(runId), 'pid'));
    const done = await this.session.exec(
      `pid=$(cat ${pidFile} 2>/dev/null) && kill -0 "$pid" 2>/dev/null && ` +
        `{ kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; } && echo killed`,
    );
    return done.stdout.includes('killed');
  }

  /** Stops following and closes the connection; the remote run goes on (attach to it later). */
  async detach(): Promise<void> {
    this.follower?.stop();
    this.session.close();
    await this.follower?.loop;
  }
}
