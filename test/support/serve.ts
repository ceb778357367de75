import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import http from 'node:http';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import type { CommandArg, CommandName, CommandResult } from '../../common/contract';
import { builtCli } from './cli-dataset';
import { builtCliBin } from './paths';

export interface ServeHandle {
  url: string;
  origin: string;
  token: string;
  child: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the real `character-studio serve` (the built CLI) on a free port and waits for its
 * `ready` event on stdout (`--json`), never for a log line; `readyWithinMs` allows longer for a
 * data folder whose database is upgraded first (a minute or more at 100,000 scenes).
 */
export async function startServe(
  dataDir: string,
  extraArgs: string[] = [],
  readyWithinMs = 20_000,
): Promise<ServeHandle> {
  const child = spawnBuiltCli(dataDir, ['serve', '--port', '0', '--json', ...extraArgs]);
  let errText = '';
  child.stderr.on('data', (chunk: Buffer) => (errText += chunk.toString()));
  const ready = await new Promise<{ url: string; origin: string }>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`serve did not become ready: ${errText}`)), readyWithinMs);
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; url?: string; origin?: string };
        if (event.event === 'ready' && event.url && event.origin) {
          clearTimeout(timer);
          resolve({ url: event.url, origin: event.origin });
        }
      } catch {
        // not an event line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${errText}`));
    });
  });
  return {
    ...ready,
    token: new URL(ready.url).searchParams.get('token') ?? '',
    child,
    stderr: () => errText,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The built CLI on `dataDir` as a child process of its own, its output piped (the user's CHARACTER_STUDIO_HOME unset). */
export function spawnBuiltCli(dataDir: string, args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [builtCliBin, ...args, '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CHARACTER_STUDIO_HOME: '' },
  });
}

/** A command through the web door, as any script holding the token may send it; throws its error message. */
export async function invokeServe<K extends CommandName>(
  serve: ServeHandle,
  name: K,
  arg: CommandArg<K>,
): Promise<CommandResult<K>> {
  // A fresh connection per command (no keep-alive): on a machine loaded far beyond its cores, serve
  // closed pooled connections just as fetch reused them ("other side closed").
  const response = await new Promise<{ ok: boolean; status: number; json: () => Promise<unknown> }>(
    (resolve, reject) => {
      const payload = JSON.stringify(arg);
      const request = http.request(
        `${serve.origin}/api/invoke/${name}`,
        {
          method: 'POST',
          agent: false,
          headers: {
            authorization: `Bearer ${serve.token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              ok: status >= 200 && status < 300,
              status,
              json: () => Promise.resolve(JSON.parse(text) as unknown),
            });
          });
        },
      );
      request.on('error', reject);
      request.end(payload);
    },
  );
  const body = (await response.json()) as { result?: CommandResult<K>; error?: { message: string } };
  if (!response.ok) throw new Error(`${name}: ${body.error?.message ?? response.status}`);
  return body.result as CommandResult<K>;
}

/**
 * The built CLI on `dataDir`, as a script beside a running `serve` would run it (SQLite in WAL
 * mode); rejects with its messages. What it changes reaches an open page only when the page refetches.
 */
export async function runBuiltCli(dataDir: string, ...args: string[]): Promise<void> {
  const { code, err } = await builtCli(dataDir)(...args);
  if (code !== 0) throw new Error(`character-studio ${args.join(' ')} failed: ${err}`);
}
