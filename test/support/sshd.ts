/**
 * A real OpenSSH server on 127.0.0.1 for the remote-trainer tests: Debian's /usr/sbin/sshd run in
 * the foreground with a generated config, host key and user key, all in a temporary folder, as
 * the current user. Nothing outside the folder is touched except sshd's privilege-separation
 * directory (/run/sshd), which sshd requires when started as root.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { tempDir } from './paths';

export const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  host: '127.0.0.1';
  port: number;
  username: string;
  /** The user's private key (OpenSSH format, no passphrase). */
  userKeyPath: string;
  /** The server's public host key line (`ssh-ed25519 AAAA…`), of the first type asked for. */
  hostPublicKey: string;
  /** Every host key the server holds, as `type base64` (known_hosts' key fields), by type. */
  hostKeys: Partial<Record<HostKeyType, string>>;
  /** `SHA256:…` as ssh-keygen -l prints it. */
  hostFingerprint: string;
  dir: string;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something listens on 127.0.0.1:`port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export type HostKeyType = 'ed25519' | 'rsa' | 'ecdsa';

/**
 * Whether what listens on 127.0.0.1:`port` sends an SSH identification line (RFC 4253 §4.2: a
 * server speaks first, `SSH-2.0-…`) within `waitMs`; false when nothing listens or it stays silent.
 */
function greetsAsSsh(port: number, waitMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/** Free ports tried before giving up (each is lost only to a process binding it in the same instant). */
const PORT_TRIES = 3;

/**
 * Runs sshd, with the host keys in `dir`, on a free port (`pickPort`); resolves once it accepts connections.
 * The port is free when `freePort` returns but sshd binds it a moment later: a process taking it
 * in between (CI runs many servers at once) makes sshd exit at once, and a fresh port is tried.
 */
export async function listenSshd(
  dir: string,
  hostKeyFiles: string[],
  pickPort: () => Promise<number> = freePort,
): Promise<{ child: ChildProcess; port: number; exited: Promise<void> }> {
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort();
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        ...hostKeyFiles.map((file) => `HostKey ${file}`),
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'Subsystem sftp internal-sftp',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    // Ready when the port greets as an SSH server does: a connection alone may reach whoever took it.
    while (!((await greetsAsSsh(port)) && child.exitCode === null)) {
      if (child.exitCode !== null && attempt < PORT_TRIES) break;
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`sshd did not start on port ${port}: ${log.trim() || 'no output'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (child.exitCode === null) return { child, port, exited };
  }
}

/**
 * Starts sshd holding one host key of each of `hostKeyTypes` (default ed25519 alone); fails (does
 * not skip) when OpenSSH's server is not installed.
 */
export async function startSshd(hostKeyTypes: readonly HostKeyType[] = ['ed25519']): Promise<TestSshd> {
  if (!existsSync(SSHD)) {
    throw new Error(
      `${SSHD} is missing: the remote trainer tests need a real SSH server. Install it with: apt-get install openssh-server`,
    );
  }
  const { dir, cleanup } = tempDir('cs-sshd-');
  const hostKeyFiles = hostKeyTypes.map((type) => join(dir, `host_${type}`));
  const hostKey = hostKeyFiles[0]!;
  const userKey = join(dir, 'user_ed25519');
  for (const [i, key] of [...hostKeyFiles, userKey].entries()) {
    const type = hostKeyTypes[i] ?? 'ed25519';
    // 2048-bit RSA: quick to generate on a loaded machine; strength is not what these tests check.
    const size = type === 'rsa' ? ['-b', '2048'] : [];
    execFileSync('ssh-keygen', ['-q', '-t', type, ...size, '-N', '', '-C', 'character-studio-test', '-f', key]);
  }
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`));
  const username = userInfo().username;
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  let started: { child: ChildProcess; port: number; exited: Promise<void> };
  try {
    started = await listenSshd(dir, hostKeyFiles);
  } catch (error) {
    cleanup();
    throw error;
  }
  const { child, port, exited } = started;
  const hostPublicKey = readFileSync(`${hostKey}.pub`, 'utf8').trim();
  const hostKeys = Object.fromEntries(
    hostKeyTypes.map((type, i) => [
      type,
      readFileSync(`${hostKeyFiles[i]!}.pub`, 'utf8').split(' ').slice(0, 2).join(' '),
    ]),
  );
  const hostFingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`], {
    encoding: 'utf8',
  }).split(' ')[1]!;
  return {
    host: '127.0.0.1',
    port,
    username,
    userKeyPath: userKey,
    hostPublicKey,
    hostKeys,
    hostFingerprint,
    dir,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      cleanup();
    },
  };
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetPort` that can drop connections mid-stream: with
 * `cutAfterBytes` set, a connection opened from then on is cut (both sockets destroyed, as a
 * dropped link) once its client has sent that many bytes. `cuts` counts the connections cut.
 * `dropAll` cuts every open connection at once; the proxy goes on accepting new ones.
 */
export interface TcpProxy {
  port: number;
  cutAfterBytes: number | null;
  cuts: number;
  dropAll: () => void;
  close: () => Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const proxy: TcpProxy = {
    port: 0,
    cutAfterBytes: null,
    cuts: 0,
    dropAll: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => Promise.resolve(),
  };
  const server = createServer((client) => {
    const limit = proxy.cutAfterBytes;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    const cut = (): void => {
      proxy.cuts++;
      client.destroy();
      upstream.destroy();
    };
    let sent = 0;
    let cutting = false;
    client.on('data', (chunk: Buffer) => {
      if (cutting) return;
      if (limit !== null && sent + chunk.length >= limit) {
        cutting = true;
        client.pause();
        upstream.write(chunk.subarray(0, limit - sent), cut);
        return;
      }
      sent += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  proxy.port = typeof address === 'object' && address ? address.port : 0;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
