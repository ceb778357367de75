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
 * Serving (`startServe`): `character_trainer serve` runs detached the same way in a run's existing
 * remote folder (its own `serve.pid`, `serve.exit_code`, `serve.stdout.log`, `serve.stderr.log`),
 * listening on the host's 127.0.0.1 only; the launcher follows its events to the `serving` phase,
 * then opens a local 127.0.0.1 listener whose connections it forwards through this SSH connection
 * (direct-tcpip) to the remote port. The tunnel lives as long as the connection: a serving launcher
 * does not reconnect, it reports the loss as 'connection' `failed` and closes the listener.
 * `stopServe` ends it all (STOP file, then the process group if it lingers).
 *
 * Uploads write `<name>.part` and rename it into place, and the trainer folder's `.complete` marker
 * comes last, so a connection lost mid-upload (TrainerLaunchError `connection_lost`: nothing was
 * started) leaves no torn file under a final name; the next upload skips the trainer files already
 * whole and goes on.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join, posix, relative } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2, { type ClientChannel, type ConnectConfig, type SFTPWrapper, type SyncHostVerifier } from 'ssh2';
import type { DoneEvent, ErrorEvent, TrainerEvent } from '../../../common/trainer-protocol';
import { EventFollower } from './events';
import { RUN_FILES, type TrainerJob, type TrainerServeOptions } from './job';
import {
  fingerprint,
  hostKeyAlgorithms,
  judgeHostKey,
  keyType,
  type HostKeyStore,
  type HostKeyVerdict,
} from './known-hosts';
import {
  LineSplitter,
  parsePythonCheck,
  PYTHON_CHECK_SNIPPET,
  readRequirements,
  TrainerLaunchError,
  isTooOld,
  MIN_PYTHON,
  type Requirement,
} from './python-env';
import { describeExit, type TrainerExit, type TrainerLauncherEvents } from './supervision';
import { clause } from '../../../common/sentence';
import { shellQuote } from './shell';
import { callback, localFiles, SftpFiles, UploadMeter } from './ssh-files';

export { shellQuote } from './shell';

const { Client } = ssh2;
type SshClient = InstanceType<typeof Client>;

export interface SshHostConfig {
  host: string;
  port?: number;
  username: string;
  /** OpenSSH private key file; without it the SSH agent is used. */
  privateKeyPath?: string;
  passphrase?: string;
  /** Agent socket; defaults to SSH_AUTH_SOCK. */
  agent?: string;
  /** Remote interpreter used as is when it has the pinned packages, else to create the remote venv. Default `python3`. */
  python?: string;
  /** Absolute, or relative to the remote home. Default `.character-studio`. */
  remoteRoot?: string;
  /** Extra environment for the remote run (e.g. CUDA_VISIBLE_DEVICES, HF_TOKEN), and for pip when a venv is set up (e.g. PIP_INDEX_URL). */
  env?: Record<string, string>;
  /** GPUs to train on; above 1 the trainer starts under torchrun (`--standalone --nproc_per_node N`). Default 1. */
  gpuCount?: number;
}

export interface SshLauncherOptions {
  hostKeys: HostKeyStore;
  /** Local folder holding the character_trainer package and requirements.txt. */
  trainerDir: string;
  /** How often events.jsonl is polled. Milliseconds. */
  pollMs?: number;
  /** Waits between reconnect attempts; the last one repeats. Milliseconds. */
  reconnectDelaysMs?: number[];
  maxReconnectAttempts?: number;
  readyTimeoutMs?: number;
  /** Opens the transport (jump hosts, proxies); default a TCP connection made by ssh2. */
  socketFactory?: (host: string, port: number) => Promise<Duplex>;
}

export type SshConnectionState = 'lost' | 'restored' | 'failed';

export interface SshLauncherEvents extends TrainerLauncherEvents {
  /** The connection dropped, came back, or could not be restored (the remote run may go on: attach later). */
  connection: [state: SshConnectionState, detail: string];
}

/**
 * The server's host key is not trusted yet (`unknown`: ask the user), differs from the trusted one
 * or is of another type than it (`changed`: refuse), or is marked `@revoked` (refuse).
 */
export class SshHostKeyError extends TrainerLaunchError {
  constructor(
    readonly verdict: Exclude<HostKeyVerdict, 'trusted'>,
    readonly host: string,
    readonly port: number,
    readonly key: Buffer,
  ) {
    super(
      `ssh_host_${verdict}`,
      verdict === 'unknown'
        ? `The host key of ${host}:${port} is not known yet (${keyType(key)} ${fingerprint(key)}). Check this fingerprint with the server's administrator, then trust it to connect.`
        : verdict === 'revoked'
          ? `The host key of ${host}:${port} (${keyType(key)} ${fingerprint(key)}) is marked @revoked in the known hosts: the studio refuses to connect. Ask the server's administrator for its new key.`
          : `The host key of ${host}:${port} has CHANGED (now ${keyType(key)} ${fingerprint(key)}, not the key on record; a server that now offers only another key type counts as changed). Someone may be intercepting the connection; the studio refuses to connect. If the server was reinstalled, remove its old key from the known hosts and trust the new one.`,
    );
    this.name = 'SshHostKeyError';
  }

  get fingerprint(): string {
    return fingerprint(this.key);
  }
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

/** The wrapper's files in the run folder: training's, or the server's beside them. */
interface ProcessFiles {
  pid: string;
  exitCode: string;
  stdout: string;
  stderr: string;
}

const TRAIN_FILES: ProcessFiles = { pid: 'pid', exitCode: 'exit_code', stdout: 'stdout.log', stderr: 'stderr.log' };
const SERVE_FILES: ProcessFiles = {
  pid: 'serve.pid',
  exitCode: 'serve.exit_code',
  stdout: 'serve.stdout.log',
  stderr: 'serve.stderr.log',
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class SshTrainerLauncher extends EventEmitter<SshLauncherEvents> {
  private client: SshClient | null = null;
  private files: SftpFiles | null = null;
  /** Resolves when the current client's connection closes; see `whileConnected`. */
  private closed: Promise<void> | null = null;
  private home = '';
  private run: { runId: string; runDir: string; pid: number; files: ProcessFiles } | null = null;
  /** Set while serving: the tunnel's listener and the connections it forwards; no reconnecting then. */
  private serving: { listener: Server; sockets: Set<Socket>; info: RemoteServing | null } | null = null;
  /** Rejects the `startServe` waiting for the `serving` phase (called by `stopServe`). */
  private abandonServeStart: ((error: Error) => void) | null = null;
  private serveStopping: Promise<void> | null = null;
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
  }

  private get port(): number {
    return this.host.port ?? 22;
  }

  get connected(): boolean {
    return this.client !== null && this.files !== null;
  }

  /** Highest event seq delivered; store it to re-attach after a restart. */
  get lastSeq(): number {
    return this.follower?.lastSeq ?? 0;
  }

  get remoteRunDir(): string | null {
    return this.run?.runDir ?? null;
  }

  get remoteRoot(): string {
    const root = this.host.remoteRoot ?? '.character-studio';
    return root.startsWith('/') ? root : posix.join(this.home, root);
  }

  // ── connection ──────────────────────────────────────────────────────────────────────────────

  /** Opens the connection (verifying the host key). Throws SshHostKeyError or TrainerLaunchError. */
  async connect(): Promise<void> {
    if (this.connected) return;
    const config: ConnectConfig = {
      host: this.host.host,
      port: this.port,
      username: this.host.username,
      readyTimeout: this.options.readyTimeoutMs ?? 20_000,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
    };
    if (this.host.privateKeyPath) {
      try {
        config.privateKey = await readFile(this.host.privateKeyPath);
      } catch (error) {
        throw new TrainerLaunchError(
          'ssh_auth',
          `Cannot read the SSH private key ${this.host.privateKeyPath}: ${clause((error as Error).message)}. Choose an existing key file or use the SSH agent.`,
        );
      }
      if (this.host.passphrase) config.passphrase = this.host.passphrase;
    } else {
      const agent = this.host.agent ?? process.env.SSH_AUTH_SOCK;
      if (!agent)
        throw new TrainerLaunchError(
          'ssh_auth',
          `No way to log in to ${this.host.host}: choose a private key file, or start an SSH agent holding your key (SSH_AUTH_SOCK is not set).`,
        );
      config.agent = agent;
    }
    let rejected: SshHostKeyError | null = null;
    const known = await this.options.hostKeys.keysFor(this.host.host, this.port);
    config.algorithms = { serverHostKey: hostKeyAlgorithms(known.trusted) };
    const verifier: SyncHostVerifier = (key: Buffer) => {
      const verdict = judgeHostKey(known, key);
      if (verdict !== 'trusted') rejected = new SshHostKeyError(verdict, this.host.host, this.port, Buffer.from(key));
      return verdict === 'trusted';
    };
    config.hostVerifier = verifier;
    if (this.options.socketFactory) config.sock = await this.options.socketFactory(this.host.host, this.port);

    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error & { level?: string }): void => {
        client.removeListener('ready', onReady);
        client.end();
        if (rejected) reject(rejected);
        else if (error.level === 'client-authentication') {
          reject(
            new TrainerLaunchError(
              'ssh_auth',
              `${this.host.username}@${this.host.host} refused the login (${error.message}). Add your public key to ~/.ssh/authorized_keys on the server, or check the user name.`,
            ),
          );
        } else
          reject(
            new TrainerLaunchError(
              'ssh_connect',
              `Cannot connect to ${this.host.host}:${this.port}: ${clause(error.message)}. Check the host name, the port and that the machine is reachable.`,
            ),
          );
      };
      const onReady = (): void => {
        client.removeListener('error', onError);
        resolve();
      };
      client.once('ready', onReady);
      client.once('error', onError);
      client.connect(config);
    });
    // After 'ready', an error always precedes 'close'; 'close' is where the loss is handled.
    client.on('error', (error: Error) => this.emit('log', `ssh: ${error.message}`));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('close', () => {
      if (this.client === client) {
        this.client = null;
        this.files = null;
        this.closed = null;
      }
    });
    try {
      const sftp = await callback<SFTPWrapper>((done) => client.sftp(done));
      this.files = new SftpFiles(
        sftp,
        this.host.host,
        (command, what) => this.execOk(command, what),
        (line) => this.emit('log', line),
      );
      this.client = client;
      this.closed = closed;
      this.home = await this.files.home();
    } catch (error) {
      client.end();
      this.client = null;
      this.files = null;
      throw new TrainerLaunchError(
        'ssh_connect',
        `Connected to ${this.host.host} but could not open SFTP: ${clause((error as Error).message)}. The server must allow the sftp subsystem.`,
      );
    }
  }

  private connectionLost(activity: string): TrainerLaunchError {
    return new TrainerLaunchError(
      'connection_lost',
      `The connection to ${this.host.host} was lost while ${activity}; nothing was started there. Start the run again (Resume) when the host is reachable.`,
    );
  }

  /**
   * Runs `work` (uploads, venv set-up) and turns a connection lost meanwhile into one
   * `connection_lost` error: whatever ssh2 reports (ECONNRESET, "No response from server") or
   * leaves pending (requests on a dead channel may never be answered) ends here at once.
   */
  private async whileConnected<T>(activity: string, work: () => Promise<T>): Promise<T> {
    const closed = this.closed;
    if (!this.connected || !closed) throw this.connectionLost(activity);
    const task = work();
    task.catch(() => undefined); // settled later by ssh2's clean-up when the race is lost to `closed`
    try {
      return await Promise.race([
        task,
        closed.then(() => {
          throw this.connectionLost(activity);
        }),
      ]);
    } catch (error) {
      if (error instanceof TrainerLaunchError && error.reason === 'connection_lost') throw error;
      if (!this.connected) throw this.connectionLost(activity);
      throw error;
    }
  }

  /** The open session's remote files; throws when not connected. */
  private remote(): SftpFiles {
    if (!this.files) throw new TrainerLaunchError('ssh_connect', `Not connected to ${this.host.host}.`);
    return this.files;
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
    return this.remote().uploadFolder(localDir, remoteDir, files, options);
  }

  /**
   * Downloads a remote file or folder (recursive) into `localDir`; a relative `remotePath` is taken
   * in the followed run's folder (else the remote root). Returns the local files written.
   */
  download(remotePath: string, localDir: string): Promise<string[]> {
    const absolute = remotePath.startsWith('/')
      ? remotePath
      : posix.join(this.run?.runDir ?? this.remoteRoot, remotePath);
    return this.remote().download(absolute, localDir);
  }

  /** Runs a command remotely; `onLine` gets its stdout and stderr lines as they come. */
  async exec(
    command: string,
    onLine?: (line: string) => void,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const client = this.client;
    if (!client) throw new TrainerLaunchError('ssh_connect', `Not connected to ${this.host.host}.`);
    const channel = await callback<ClientChannel>((done) => client.exec(command, done));
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      const out = new LineSplitter(onLine ?? (() => undefined));
      const err = new LineSplitter(onLine ?? (() => undefined));
      channel.setEncoding('utf8');
      channel.stderr.setEncoding('utf8');
      channel.on('data', (chunk: string) => {
        stdout += chunk;
        out.push(chunk);
      });
      channel.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        err.push(chunk);
      });
      channel.on('close', (code: number | null) => {
        out.end();
        err.end();
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      });
    });
  }

  private async execOk(command: string, what: string, onLine?: (line: string) => void): Promise<string> {
    const result = await this.exec(command, onLine);
    if (result.code !== 0) {
      throw new TrainerLaunchError(
        'ssh_command',
        `${what} failed on ${this.host.host} (exit ${String(result.code)}): ${result.stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`,
      );
    }
    return result.stdout;
  }

  // ── trainer, venv, launch ───────────────────────────────────────────────────────────────────

  /** Uploads the trainer package once per content version; returns its remote folder. */
  async uploadTrainer(): Promise<string> {
    const files = await localFiles(this.options.trainerDir);
    const hash = createHash('sha256');
    for (const file of files)
      hash
        .update(relative(this.options.trainerDir, file))
        .update('\0')
        .update(await readFile(file))
        .update('\0');
    const remote = posix.join(this.remoteRoot, 'trainer', hash.digest('hex').slice(0, 16));
    return this.whileConnected('uploading the trainer', async () => {
      if (await this.remote().exists(posix.join(remote, '.complete'))) return remote;
      this.emit('log', `uploading the trainer to ${this.host.host}:${remote}`);
      await this.remote().uploadFolder(this.options.trainerDir, remote, files, { resume: true, what: 'the trainer' });
      // Last: the marker says every file above is whole.
      await this.remote().writeRemote(posix.join(remote, '.complete'), '');
      return remote;
    });
  }

  private async checkRemotePython(
    python: string,
    requirements: Requirement[],
  ): Promise<{ python: string; missing: string[] } | null> {
    const pins = JSON.stringify(requirements.map((r) => [r.name, r.version]));
    const result = await this.exec(`${shellQuote(python)} -c ${shellQuote(PYTHON_CHECK_SNIPPET)} ${shellQuote(pins)}`);
    if (result.code !== 0) return null;
    const check = parsePythonCheck(result.stdout, `${this.host.host}:${python}`);
    return { python: check.python, missing: [...check.missing, ...check.mismatched.map((m) => m.name)] };
  }

  /**
   * The remote interpreter to run with: the configured one when it holds the pinned packages, else
   * `<remoteRoot>/venv`, created with it and `pip install -r requirements.txt` (progress on 'log').
   */
  async bootstrap(trainerRemote: string): Promise<string> {
    const requirements = await readRequirements(join(this.options.trainerDir, 'requirements.txt'));
    const configured = this.host.python ?? 'python3';
    const check = await this.checkRemotePython(configured, requirements);
    if (!check) {
      throw new TrainerLaunchError(
        'python_missing',
        `${configured} does not run on ${this.host.host}. Install Python ${MIN_PYTHON.join('.')}+ there (with the venv module) or set the remote Python path in the host settings.`,
      );
    }
    if (isTooOld(check.python)) {
      throw new TrainerLaunchError(
        'python_too_old',
        `${configured} on ${this.host.host} is Python ${check.python}; the trainer needs ${MIN_PYTHON.join('.')} or newer. Set the remote Python path to a newer interpreter.`,
      );
    }
    if (!check.missing.length) return configured;
    const venv = posix.join(this.remoteRoot, 'venv');
    const venvPython = posix.join(venv, 'bin', 'python');
    const existing = await this.checkRemotePython(venvPython, requirements);
    if (existing && !existing.missing.length) return venvPython;
    const log = (line: string): void => {
      this.emit('log', line);
    };
    log(`${configured} on ${this.host.host} lacks ${check.missing.join(', ')}: installing them into ${venv}`);
    // The host's extra environment reaches pip too (e.g. PIP_INDEX_URL, HTTPS_PROXY on a lab network).
    const env = Object.entries(this.host.env ?? {})
      .map(([key, value]) => `${key}=${shellQuote(value)} `)
      .join('');
    const setUp = async (command: string, what: string, fix: string): Promise<void> => {
      const lines: string[] = [];
      const result = await this.exec(`${env}${command}`, (line) => {
        lines.push(line);
        log(line);
      });
      if (result.code === 0) return;
      const tail = lines.filter((line) => line.trim()).slice(-6);
      throw new TrainerLaunchError(
        'venv_failed',
        `${what} failed on ${this.host.host} (exit ${String(result.code)}). ${fix} Last output: ${tail.join(' | ') || 'none'}`,
      );
    };
    if (!existing)
      await setUp(
        `${shellQuote(configured)} -m venv ${shellQuote(venv)}`,
        `Creating the venv ${venv} with ${configured}`,
        'On Debian/Ubuntu install python3-venv there, or set the remote Python to an interpreter with the venv module.',
      );
    await setUp(
      `${shellQuote(venvPython)} -m pip install --disable-pip-version-check --progress-bar off -r ${shellQuote(posix.join(trainerRemote, 'requirements.txt'))}`,
      `Installing the trainer packages into ${venv} with pip`,
      'The host needs access to a package index (or PIP_INDEX_URL / a proxy in the host environment), or set the remote Python to an interpreter that has the packages.',
    );
    const after = await this.checkRemotePython(venvPython, requirements);
    if (!after || after.missing.length) {
      throw new TrainerLaunchError(
        'venv_failed',
        `After pip install, ${venvPython} on ${this.host.host} still lacks ${after?.missing.join(', ') ?? 'a working interpreter'}.`,
      );
    }
    return venvPython;
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
    await this.connect();
    const trainerRemote = await this.uploadTrainer();
    const runDir = posix.join(this.remoteRoot, 'runs', runId);
    const dataset = posix.join(runDir, 'dataset.jsonl');
    const jobPath = posix.join(runDir, RUN_FILES.job);
    await this.whileConnected('uploading the dataset and the job', async () => {
      await this.remote().mkdirs([runDir]);
      const size = (await stat(datasetFile)).size;
      const meter = new UploadMeter('the dataset', size, (line) => this.emit('log', line));
      await this.remote().put(datasetFile, dataset, (sent) => meter.file(sent));
      meter.fileDone(size);
      meter.finish();
      await this.remote().writeRemote(jobPath, `${JSON.stringify({ ...job, run_dir: runDir, dataset }, null, 2)}\n`);
    });
    const python = await this.whileConnected('preparing Python (the venv and its packages)', () =>
      this.bootstrap(trainerRemote),
    );

    const pid = await this.launchDetached(
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

  /**
   * Runs `command` in `runDir` detached from the SSH session (setsid + nohup + closed stdin) with
   * the trainer on PYTHONPATH and the host's extra environment; the wrapper records the pid and the
   * exit code in `files`. Returns the pid, which leads the process group (kill `-pid`).
   */
  private async launchDetached(
    runDir: string,
    trainerRemote: string,
    command: string,
    files: ProcessFiles,
    what: string,
  ): Promise<number> {
    const env = { PYTHONPATH: trainerRemote, PYTHONUNBUFFERED: '1', ...this.host.env };
    const assignments = Object.entries(env)
      .map(([key, value]) => `${key}=${shellQuote(value)}`)
      .join(' ');
    const inner = `${command}; echo $? > ${shellQuote(files.exitCode)}`;
    const script = [
      `cd ${shellQuote(runDir)} || exit 1`,
      `rm -f ${shellQuote(files.exitCode)} ${shellQuote(files.pid)}`,
      `${assignments} setsid nohup sh -c ${shellQuote(inner)} > ${shellQuote(files.stdout)} 2>> ${shellQuote(files.stderr)} < /dev/null &`,
      `echo $! > ${shellQuote(files.pid)}`,
      'echo $!',
    ].join('\n');
    const pid = Number((await this.execOk(script, what)).trim());
    if (!Number.isInteger(pid) || pid <= 0)
      throw new TrainerLaunchError(
        'spawn_failed',
        `The remote shell on ${this.host.host} did not report the pid (${what}).`,
      );
    return pid;
  }

  /** Follows a run started earlier (by this or an earlier studio session), skipping events up to `afterSeq`. */
  async attach(runId: string, afterSeq: number): Promise<RemoteRun> {
    if (this.following)
      throw new TrainerLaunchError('already_running', 'This launcher is already following a run; detach first.');
    await this.connect();
    const runDir = posix.join(this.remoteRoot, 'runs', runId);
    const { data } = await this.remote().readFrom(posix.join(runDir, 'pid'), 0);
    const pid = Number(data.toString('utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0)
      throw new TrainerLaunchError(
        'not_running',
        `No run "${runId}" was started on ${this.host.host} (${runDir}/pid is missing).`,
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
      if (!this.connected && this.serving) {
        // The tunnel died with the connection; a new one would be another server's business.
        this.following = false;
        this.closeTunnel();
        this.emit(
          'connection',
          'failed',
          `The connection to ${this.host.host} was lost; the tunnel to the model server is closed.`,
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
        await this.pollOnce();
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
    this.emit('connection', 'lost', `The connection to ${this.host.host} dropped; reconnecting.`);
    for (let attempt = 0; attempt < max && this.following; attempt++) {
      await sleep(delays[Math.min(attempt, delays.length - 1)] ?? 1_000);
      if (!this.following) return;
      try {
        await this.connect();
        this.emit('connection', 'restored', `Reconnected to ${this.host.host} after ${attempt + 1} attempt(s).`);
        return;
      } catch (error) {
        if (error instanceof SshHostKeyError || (error instanceof TrainerLaunchError && error.reason === 'ssh_auth'))
          throw error;
        this.emit('log', `reconnect attempt ${attempt + 1} failed: ${(error as Error).message}`);
      }
    }
    throw new TrainerLaunchError(
      'ssh_connect',
      `Could not reconnect to ${this.host.host} after ${max} attempts; the run may still be going: attach to it later.`,
    );
  }

  private async readEvents(): Promise<void> {
    const run = this.run!;
    const follower = this.follower!;
    const { size, data } = await this.remote().readFrom(
      posix.join(run.runDir, RUN_FILES.events),
      follower.readPosition,
    );
    if (size < follower.readPosition) follower.rewind();
    else if (data.length) this.deliver(follower.push(data));
    const stderr = await this.remote().readFrom(posix.join(run.runDir, run.files.stderr), this.stderrOffset);
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
    const probe = await this.exec(
      `kill -0 ${run.pid} 2>/dev/null && echo alive; cat ${shellQuote(posix.join(run.runDir, run.files.exitCode))} 2>/dev/null || true`,
    );
    if (this.client === null || probe.code === null) throw new Error('connection lost while probing the run');
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

  // ── serving ─────────────────────────────────────────────────────────────────────────────────

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
  async startServe(runId: string, job: RemoteServeJob): Promise<RemoteServing> {
    if (this.following || this.serving)
      throw new TrainerLaunchError('already_running', 'This launcher is already following a run or serving one.');
    const serving = { listener: createServer(), sockets: new Set<Socket>(), info: null as RemoteServing | null };
    this.serving = serving;
    try {
      await this.connect();
      const runDir = posix.join(this.remoteRoot, 'runs', runId);
      if (!(await this.remote().exists(runDir)))
        throw new TrainerLaunchError(
          'not_running',
          `The run folder ${runDir} is not on ${this.host.host} any more, so the run cannot be served there.`,
        );
      const trainerRemote = await this.uploadTrainer();
      const python = await this.whileConnected('preparing Python (the venv and its packages)', () =>
        this.bootstrap(trainerRemote),
      );
      const jobPath = posix.join(runDir, 'job.serve.json');
      const full: TrainerJob = { ...job, run_dir: runDir, serve: { ...job.serve, host: '127.0.0.1', port: 0 } };
      await this.whileConnected('writing the serve job', () =>
        this.remote().writeRemote(jobPath, `${JSON.stringify(full, null, 2)}\n`),
      );
      const eventsAt = (await this.remote().remoteSize(posix.join(runDir, RUN_FILES.events))) ?? 0;
      const stderrAt = (await this.remote().remoteSize(posix.join(runDir, SERVE_FILES.stderr))) ?? 0;
      const pid = await this.launchDetached(
        runDir,
        trainerRemote,
        `${shellQuote(python)} -m character_trainer serve --job ${shellQuote(jobPath)}`,
        SERVE_FILES,
        'Starting the model server',
      );
      if (this.serving !== serving || this.serveStopping) {
        // stopServe came while the server was being launched: it did not know the pid yet.
        await this.connect();
        await this.exec(`kill -TERM -- -${pid} 2>/dev/null || kill -TERM ${pid} 2>/dev/null || true`);
        throw new TrainerLaunchError(
          'not_running',
          `Serving on ${this.host.host} was stopped before the model was ready.`,
        );
      }
      this.run = { runId, runDir, pid, files: SERVE_FILES };
      const ready = this.untilServing();
      this.beginFollowing(0, eventsAt, stderrAt);
      const { url: remoteUrl, model } = await ready;
      const remotePort = Number(/:(\d+)\/v1\/?$/.exec(remoteUrl)?.[1]);
      if (!Number.isInteger(remotePort) || remotePort <= 0)
        throw new TrainerLaunchError(
          'spawn_failed',
          `The model server on ${this.host.host} reported an odd URL: ${remoteUrl}`,
        );
      const localPort = await this.openTunnel(serving, remotePort);
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
      if (this.serving === serving) await this.stopServe();
      else if (!this.serving) this.dropConnection();
      throw error;
    }
  }

  /** Resolves with the `serving` phase's url and model; rejects when the server ends or the connection goes first. */
  private untilServing(): Promise<{ url: string; model: string }> {
    return new Promise((resolve, reject) => {
      const off = (): void => {
        this.abandonServeStart = null;
        this.off('event', onEvent);
        this.off('exit', onExit);
        this.off('connection', onConnection);
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
          new TrainerLaunchError('spawn_failed', `The model server on ${this.host.host} did not start: ${message}`),
        );
      };
      const onConnection = (state: SshConnectionState): void => {
        if (state !== 'failed') return;
        off();
        reject(this.connectionLost('starting the model server'));
      };
      this.abandonServeStart = (error) => {
        off();
        reject(error);
      };
      this.on('event', onEvent);
      this.on('exit', onExit);
      this.on('connection', onConnection);
    });
  }

  /** Listens on 127.0.0.1:0 and forwards each connection through SSH to the host's 127.0.0.1:`remotePort`; returns the local port. */
  private async openTunnel(serving: NonNullable<typeof this.serving>, remotePort: number): Promise<number> {
    const { listener, sockets } = serving;
    listener.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      const client = this.client;
      if (!client || this.serving !== serving) {
        socket.destroy();
        return;
      }
      client.forwardOut('127.0.0.1', socket.remotePort ?? 0, '127.0.0.1', remotePort, (error, channel) => {
        if (error) {
          this.emit('log', `tunnel: cannot reach 127.0.0.1:${remotePort} on ${this.host.host}: ${error.message}`);
          socket.destroy();
          return;
        }
        if (socket.destroyed) {
          channel.close();
          return;
        }
        channel.on('error', () => socket.destroy());
        channel.on('close', () => socket.destroy());
        socket.on('close', () => channel.close());
        socket.pipe(channel).pipe(socket);
      });
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, '127.0.0.1', () => {
        listener.off('error', reject);
        resolve();
      });
    });
    const address = listener.address();
    if (typeof address !== 'object' || !address)
      throw new TrainerLaunchError('spawn_failed', 'The tunnel has no local port.');
    return address.port;
  }

  private closeTunnel(): void {
    const serving = this.serving;
    if (!serving) return;
    serving.info = null;
    for (const socket of serving.sockets) socket.destroy();
    if (serving.listener.listening) serving.listener.close();
  }

  /**
   * Ends serving: the STOP file (reconnecting if the connection was lost), up to `graceMs` for the
   * server to exit, then SIGTERM and SIGKILL to its process group; closes the tunnel and the
   * connection. Never throws for a host that cannot be reached (the server may then linger there).
   * Milliseconds.
   */
  stopServe(graceMs = 15_000): Promise<void> {
    if (!this.serving) return Promise.resolve();
    this.serveStopping ??= this.endServing(graceMs).finally(() => (this.serveStopping = null));
    return this.serveStopping;
  }

  private async endServing(graceMs: number): Promise<void> {
    const run = this.run;
    this.abandonServeStart?.(
      new TrainerLaunchError('not_running', `Serving on ${this.host.host} was stopped before the model was ready.`),
    );
    this.closeTunnel();
    this.following = false;
    try {
      // A request in flight on a dead connection may never be answered: wait for the loop a while only.
      await Promise.race([this.loop, sleep(3_000)]);
      if (run && run.files === SERVE_FILES) {
        await this.connect();
        const alive = async (): Promise<boolean> =>
          (await this.exec(`kill -0 ${run.pid} 2>/dev/null && echo alive`)).stdout.includes('alive');
        await this.remote().writeRemote(posix.join(run.runDir, RUN_FILES.stop), 'stop requested by Character Studio\n');
        const deadline = Date.now() + graceMs;
        while ((await alive()) && Date.now() < deadline) await sleep(200);
        for (const signal of ['TERM', 'KILL']) {
          if (!(await alive())) break;
          this.emit('log', `the model server on ${this.host.host} did not stop in time: SIG${signal}`);
          await this.exec(
            `kill -${signal} -- -${run.pid} 2>/dev/null || kill -${signal} ${run.pid} 2>/dev/null || true`,
          );
          await sleep(1_000);
        }
      }
    } catch (error) {
      this.emit('log', `could not stop the model server on ${this.host.host}: ${(error as Error).message}`);
    } finally {
      this.serving = null;
      this.run = null;
      this.dropConnection();
    }
  }

  private dropConnection(): void {
    this.client?.end();
    this.client = null;
    this.files = null;
    this.closed = null;
  }

  // ── control ─────────────────────────────────────────────────────────────────────────────────

  /** Asks the run to save a checkpoint and exit (the STOP file); the exit arrives as 'exit'. */
  async stop(): Promise<void> {
    const run = this.run;
    if (!run) throw new TrainerLaunchError('not_running', 'No remote run is being followed.');
    await this.connect();
    await this.remote().writeRemote(posix.join(run.runDir, RUN_FILES.stop), 'stop requested by Character Studio\n');
  }

  /** Kills the run's process group at once; nothing is saved beyond the last checkpoint. */
  async kill(): Promise<void> {
    const run = this.run;
    if (!run) throw new TrainerLaunchError('not_running', 'No remote run is being followed.');
    await this.connect();
    await this.exec(`kill -KILL -- -${run.pid} 2>/dev/null || kill -KILL ${run.pid} 2>/dev/null || true`);
  }

  /** Stops following and closes the connection; the remote run goes on (attach to it later). */
  async detach(): Promise<void> {
    this.following = false;
    this.client?.end();
    this.client = null;
    this.files = null;
    this.closed = null;
    await this.loop;
  }
}
