/**
 * One SSH session with a host (ssh2): the connection, opened with the host key checked against the
 * studio's known hosts, its SFTP channel (ssh-files.ts), remote commands, and forwarding for the
 * model server's tunnel (ssh-tunnel.ts). The launcher (ssh-launcher.ts) owns one and reopens it
 * after a drop; a session never reconnects by itself. Lifecycle: `connect` → connected → closed
 * (by `close`, or when the connection drops: `connected` turns false and `whileConnected` work ends).
 */
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2, { type ClientChannel, type ConnectConfig, type SFTPWrapper, type SyncHostVerifier } from 'ssh2';
import { clause } from '../../../common/sentence';
import {
  fingerprint,
  hostKeyAlgorithms,
  judgeHostKey,
  keyType,
  type HostKeyStore,
  type HostKeyVerdict,
} from './known-hosts';
import { LineSplitter, TrainerLaunchError } from './python-env';
import { callback, SftpFiles } from './ssh-files';
import type { TrainerLauncherEvents } from './supervision';

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

export type SshConnectionState = 'lost' | 'restored' | 'failed';

/** What an SSH launcher emits: the trainer's events, and the state of its connection. */
export interface SshLauncherEvents extends TrainerLauncherEvents {
  /** The connection dropped, came back, or could not be restored (the remote run may go on: attach later). */
  connection: [state: SshConnectionState, detail: string];
}

export interface SshSessionOptions {
  /** The studio's known hosts: the server's key must be trusted there before anything is sent. */
  hostKeys: HostKeyStore;
  /** How long the SSH handshake may take. Milliseconds; default 20 000. */
  readyTimeoutMs?: number;
  /** Opens the transport (jump hosts, proxies); default a TCP connection made by ssh2. */
  socketFactory?: (host: string, port: number) => Promise<Duplex>;
}

/** What a remote command printed and how it ended (`code` null: no exit status, e.g. the connection dropped). */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
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

export class SshSession {
  private client: SshClient | null = null;
  private files: SftpFiles | null = null;
  /** Resolves when the current client's connection closes; see `whileConnected`. */
  private closed: Promise<void> | null = null;
  private home = '';

  constructor(
    private readonly host: SshHostConfig,
    private readonly options: SshSessionOptions,
    /** Diagnostics ('log' lines of the launcher). */
    private readonly log: (line: string) => void,
  ) {}

  /** The host name, for messages. */
  get hostName(): string {
    return this.host.host;
  }

  private get port(): number {
    return this.host.port ?? 22;
  }

  get connected(): boolean {
    return this.client !== null && this.files !== null;
  }

  /** The studio's folder on the host (absolute), from the host's `remoteRoot` and the remote home. */
  get remoteRoot(): string {
    const root = this.host.remoteRoot ?? '.character-studio';
    return root.startsWith('/') ? root : posix.join(this.home, root);
  }

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
    client.on('error', (error: Error) => this.log(`ssh: ${error.message}`));
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
      this.files = new SftpFiles(sftp, this.host.host, (command, what) => this.execOk(command, what), this.log);
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

  /** The error for a connection lost while `activity` (before anything was started on the host). */
  connectionLost(activity: string): TrainerLaunchError {
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
  async whileConnected<T>(activity: string, work: () => Promise<T>): Promise<T> {
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
  remote(): SftpFiles {
    if (!this.files) throw new TrainerLaunchError('ssh_connect', `Not connected to ${this.host.host}.`);
    return this.files;
  }

  /** Runs a command remotely; `onLine` gets its stdout and stderr lines as they come. */
  async exec(command: string, onLine?: (line: string) => void): Promise<ExecResult> {
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

  /** Runs a command that must succeed; returns its stdout, else throws `ssh_command` with its last lines. */
  async execOk(command: string, what: string, onLine?: (line: string) => void): Promise<string> {
    const result = await this.exec(command, onLine);
    if (result.code !== 0) {
      throw new TrainerLaunchError(
        'ssh_command',
        `${what} failed on ${this.host.host} (exit ${String(result.code)}): ${result.stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`,
      );
    }
    return result.stdout;
  }

  /**
   * Opens a direct-tcpip channel to the host's 127.0.0.1:`remotePort` (for a tunnel's connection
   * from local port `sourcePort`); false, and `done` never called, when not connected.
   */
  forwardOut(
    sourcePort: number,
    remotePort: number,
    done: (error: Error | undefined, channel: ClientChannel) => void,
  ): boolean {
    const client = this.client;
    if (!client) return false;
    client.forwardOut('127.0.0.1', sourcePort, '127.0.0.1', remotePort, done);
    return true;
  }

  /** Closes the connection at once; requests in flight on it may never be answered. */
  close(): void {
    this.client?.end();
    this.client = null;
    this.files = null;
    this.closed = null;
  }
}
