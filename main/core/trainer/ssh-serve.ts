/**
 * Serving a run on its SSH host: `character_trainer serve` runs detached in the run's existing
 * remote folder (its own `serve.pid`, `serve.exit_code`, `serve.stdout.log`, `serve.stderr.log`),
 * listening on the host's 127.0.0.1 only; the launcher follows its events to the `serving` phase,
 * then the local end of a tunnel (ssh-tunnel.ts) forwards through the launcher's connection to the
 * remote port. The tunnel lives as long as the connection: a serving launcher does not reconnect,
 * it reports the loss as 'connection' `failed` and closes the tunnel. `stop` ends it all (STOP
 * file, then the process group if it lingers).
 */
import type { EventEmitter } from 'node:events';
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TrainerEvent } from '../../../common/trainer-protocol';
import { RUN_FILES, type TrainerJob, type TrainerServeOptions } from './job';
import { TrainerLaunchError } from './python-env';
import { shellQuote } from './shell';
import type { ProcessFiles, RemoteTrainerEnvironment } from './ssh-environment';
import type { SshConnectionState, SshLauncherEvents, SshSession } from './ssh-session';
import { SshTunnel } from './ssh-tunnel';
import type { TrainerExit } from './supervision';

/** A model server running on the host, reached through the launcher's tunnel. */
export interface RemoteServing {
  runDir: string;
  pid: number;
  /** What the trainer reported on the host, e.g. `http://127.0.0.1:39127/v1` (reachable only there). */
  remoteUrl: string;
  remotePort: number;
  /** The local end of the tunnel: `http://127.0.0.1:<localPort>/v1`, for OpenAI clients on this machine. */
  url: string;
  localPort: number;
  /** The model id clients pass. */
  model: string;
}

/** What `startServe` needs of the job; `run_dir` is the run's remote folder, host and port are forced to 127.0.0.1:0. */
export type RemoteServeJob = Pick<TrainerJob, 'base_model' | 'format'> & {
  serve?: Partial<Omit<TrainerServeOptions, 'host' | 'port'>>;
};

const SERVE_FILES: ProcessFiles = {
  pid: 'serve.pid',
  exitCode: 'serve.exit_code',
  stdout: 'serve.stdout.log',
  stderr: 'serve.stderr.log',
};

/** A detached process the launcher follows: its folder, pid (the process group's) and wrapper files. */
export interface FollowedProcess {
  runId: string;
  runDir: string;
  pid: number;
  files: ProcessFiles;
}

/** What serving needs of the launcher that owns it, which follows the server as it follows a run. */
export interface ServeHost {
  /** Whether the launcher follows a process now (a run: then it cannot serve). */
  following(): boolean;
  /** Follows the server's events and stderr from these byte offsets (earlier lines are training's). */
  follow(process: FollowedProcess, eventsAt: number, stderrAt: number): void;
  /** Stops following; resolves when the follow loop ended, or after a few seconds (a dead connection may never answer). */
  stopFollowing(): Promise<void>;
  /** Forgets the followed process (it has been stopped). */
  forget(): void;
}

interface Serving {
  tunnel: SshTunnel;
  /** The server's process once launched. */
  process: { runDir: string; pid: number } | null;
  /** Set once the server answers and the tunnel is open; null before and after. */
  info: RemoteServing | null;
}

export class SshModelServer {
  /** Set while serving (from `start` until `stop` ends): no reconnecting then. */
  private serving: Serving | null = null;
  /** Rejects the `start` waiting for the `serving` phase (called by `stop`). */
  private abandonStart: ((error: Error) => void) | null = null;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly session: SshSession,
    private readonly environment: RemoteTrainerEnvironment,
    private readonly host: ServeHost,
    private readonly events: EventEmitter<SshLauncherEvents>,
  ) {}

  /** Whether a server is being started or served (until `stop` ends). */
  get active(): boolean {
    return this.serving !== null;
  }

  /** The server this launcher tunnels to, once it is ready; null before and after. */
  get served(): RemoteServing | null {
    return this.serving?.info ?? null;
  }

  /**
   * Serves the run in `runs/<runId>/` (trained there earlier) with `character_trainer serve` on the
   * host's 127.0.0.1 and a free port, detached like a training run, and opens the local end of the
   * tunnel. Resolves once the server answers (the `serving` phase); rejects with a
   * TrainerLaunchError carrying the trainer's message when it ends first, or `connection_lost`.
   * Events ('event', 'log') flow as for training; later, 'exit' when the server ends and
   * 'connection' `failed` when the connection (hence the tunnel) is lost.
   */
  async start(runId: string, job: RemoteServeJob): Promise<RemoteServing> {
    if (this.host.following() || this.serving)
      throw new TrainerLaunchError('already_running', 'This launcher is already following a run or serving one.');
    const serving: Serving = {
      tunnel: new SshTunnel(this.session, (line) => this.events.emit('log', line)),
      process: null,
      info: null,
    };
    this.serving = serving;
    try {
      await this.session.connect();
      const runDir = posix.join(this.session.remoteRoot, 'runs', runId);
      if (!(await this.session.remote().exists(runDir)))
        throw new TrainerLaunchError(
          'not_running',
          `The run folder ${runDir} is not on ${this.session.hostName} any more, so the run cannot be served there.`,
        );
      const trainerRemote = await this.environment.uploadTrainer();
      const python = await this.session.whileConnected('preparing Python (the venv and its packages)', () =>
        this.environment.bootstrap(trainerRemote),
      );
      const jobPath = posix.join(runDir, 'job.serve.json');
      const full: TrainerJob = { ...job, run_dir: runDir, serve: { ...job.serve, host: '127.0.0.1', port: 0 } };
      await this.session.whileConnected('writing the serve job', () =>
        this.session.remote().writeRemote(jobPath, `${JSON.stringify(full, null, 2)}\n`),
      );
      const eventsAt = (await this.session.remote().remoteSize(posix.join(runDir, RUN_FILES.events))) ?? 0;
      const stderrAt = (await this.session.remote().remoteSize(posix.join(runDir, SERVE_FILES.stderr))) ?? 0;
      const pid = await this.environment.launchDetached(
        runDir,
        trainerRemote,
        `${shellQuote(python)} -m character_trainer serve --job ${shellQuote(jobPath)}`,
        SERVE_FILES,
        'Starting the model server',
      );
      if (this.serving !== serving || this.stopping) {
        // stopServe came while the server was being launched: it did not know the pid yet.
        await this.session.connect();
        await this.session.exec(`kill -TERM -- -${pid} 2>/dev/null || kill -TERM ${pid} 2>/dev/null || true`);
        throw new TrainerLaunchError(
          'not_running',
          `Serving on ${this.session.hostName} was stopped before the model was ready.`,
        );
      }
      serving.process = { runDir, pid };
      const ready = this.untilServing();
      this.host.follow({ runId, runDir, pid, files: SERVE_FILES }, eventsAt, stderrAt);
      const { url: remoteUrl, model } = await ready;
      const remotePort = Number(/:(\d+)\/v1\/?$/.exec(remoteUrl)?.[1]);
      if (!Number.isInteger(remotePort) || remotePort <= 0)
        throw new TrainerLaunchError(
          'spawn_failed',
          `The model server on ${this.session.hostName} reported an odd URL: ${remoteUrl}`,
        );
      const localPort = await serving.tunnel.open(remotePort);
      serving.info = {
        runDir,
        pid,
        remoteUrl,
        remotePort,
        url: `http://127.0.0.1:${localPort}/v1`,
        localPort,
        model,
      };
      return serving.info;
    } catch (error) {
      if (this.serving === serving) await this.stop();
      else if (!this.serving) this.session.close();
      throw error;
    }
  }

  /** Resolves with the `serving` phase's url and model; rejects when the server ends or the connection goes first. */
  private untilServing(): Promise<{ url: string; model: string }> {
    return new Promise((resolve, reject) => {
      const off = (): void => {
        this.abandonStart = null;
        this.events.off('event', onEvent);
        this.events.off('exit', onExit);
        this.events.off('connection', onConnection);
      };
      const onEvent = (event: TrainerEvent): void => {
        if (event.type !== 'phase' || event.name !== 'serving' || !event.url) return;
        off();
        resolve({ url: event.url, model: event.model ?? '' });
      };
      const onExit = (exit: TrainerExit): void => {
        off();
        const message =
          exit.terminal?.type === 'error' ? exit.message : `the server ended before it was ready (${exit.message})`;
        reject(
          new TrainerLaunchError(
            'spawn_failed',
            `The model server on ${this.session.hostName} did not start: ${message}`,
          ),
        );
      };
      const onConnection = (state: SshConnectionState): void => {
        if (state !== 'failed') return;
        off();
        reject(this.session.connectionLost('starting the model server'));
      };
      this.abandonStart = (error) => {
        off();
        reject(error);
      };
      this.events.on('event', onEvent);
      this.events.on('exit', onExit);
      this.events.on('connection', onConnection);
    });
  }

  /**
   * Ends serving: the STOP file (reconnecting if the connection was lost), up to `graceMs` for the
   * server to exit, then SIGTERM and SIGKILL to its process group; closes the tunnel and the
   * connection. Never throws for a host that cannot be reached (the server may then linger there).
   * Milliseconds.
   */
  stop(graceMs = 15_000): Promise<void> {
    if (!this.serving) return Promise.resolve();
    this.stopping ??= this.endServing(graceMs).finally(() => (this.stopping = null));
    return this.stopping;
  }

  private async endServing(graceMs: number): Promise<void> {
    const serving = this.serving;
    const run = serving?.process ?? null;
    this.abandonStart?.(
      new TrainerLaunchError(
        'not_running',
        `Serving on ${this.session.hostName} was stopped before the model was ready.`,
      ),
    );
    this.closeTunnel();
    try {
      await this.host.stopFollowing();
      if (run) {
        await this.session.connect();
        const alive = async (): Promise<boolean> =>
          (await this.session.exec(`kill -0 ${run.pid} 2>/dev/null && echo alive`)).stdout.includes('alive');
        await this.session
          .remote()
          .writeRemote(posix.join(run.runDir, RUN_FILES.stop), 'stop requested by Character Studio\n');
        const deadline = Date.now() + graceMs;
        while ((await alive()) && Date.now() < deadline) await sleep(200);
        for (const signal of ['TERM', 'KILL']) {
          if (!(await alive())) break;
          this.events.emit('log', `the model server on ${this.session.hostName} did not stop in time: SIG${signal}`);
          await this.session.exec(
            `kill -${signal} -- -${run.pid} 2>/dev/null || kill -${signal} ${run.pid} 2>/dev/null || true`,
          );
          await sleep(1_000);
        }
      }
    } catch (error) {
      this.events.emit(
        'log',
        `could not stop the model server on ${this.session.hostName}: ${(error as Error).message}`,
      );
    } finally {
      this.serving = null;
      this.host.forget();
      this.session.close();
    }
  }

  /** The connection (hence the tunnel) is gone: the tunnel closes; the server is stopped by `stop`. */
  closeTunnel(): void {
    const serving = this.serving;
    if (!serving) return;
    serving.info = null;
    serving.tunnel.close();
  }
}
