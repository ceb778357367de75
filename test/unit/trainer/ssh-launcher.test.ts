/**
 * The remote launcher against a real OpenSSH server on 127.0.0.1 (test/support/sshd.ts). The
 * "remote" python is the repository's .venv by absolute path, so no venv is bootstrapped here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainerEvent } from '../../../common/trainer-protocol';
import { writeTrainerDataset } from '../../../main/core/trainer/dataset-export';
import { EventFollower } from '../../../main/core/trainer/events';
import { fingerprint, KnownHostsFile } from '../../../main/core/trainer/known-hosts';
import {
  shellQuote,
  SshHostKeyError,
  SshTrainerLauncher,
  type SshHostConfig,
  type SshLauncherOptions,
} from '../../../main/core/trainer/ssh-launcher';
import type { TrainerExit } from '../../../main/core/trainer/supervision';
import { tempDir } from '../../support/paths';
import { startSshd, type TestSshd } from '../../support/sshd';
import { beethoven, buildTinyModel, longJob, studioScenes, trainerDir, trainerEnv, venvPython } from './fixtures';

const tmp = tempDir('cs-trainer-ssh-');
let sshd: TestSshd;
let model = '';
let dataset = '';
let host: SshHostConfig;

beforeAll(async () => {
  sshd = await startSshd();
  model = buildTinyModel(join(tmp.dir, 'tiny-llama'));
  dataset = (await writeTrainerDataset(join(tmp.dir, 'scenes.jsonl'), studioScenes(6), beethoven)).path;
  host = {
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.userKeyPath,
    python: venvPython,
    remoteRoot: join(tmp.dir, 'remote'),
    env: trainerEnv,
  };
}, 60_000);
afterAll(async () => {
  await sshd?.stop();
  tmp.cleanup();
});

function options(knownHosts: string, extra: Partial<SshLauncherOptions> = {}): SshLauncherOptions {
  return { hostKeys: new KnownHostsFile(knownHosts), trainerDir, pollMs: 150, reconnectDelaysMs: [200], ...extra };
}

/** `what` names the awaited state in the timeout's message; a function, to say what was seen by then. */
function waitFor<T>(predicate: () => T | undefined, what: string | (() => string), ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const value = predicate();
      if (value !== undefined) resolve(value);
      else if (Date.now() > deadline)
        reject(new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

describe('host keys', { timeout: 120_000 }, () => {
  it('refuses an unknown host with its fingerprint, connects once trusted, and refuses a changed key', async () => {
    const knownHosts = join(tmp.dir, 'known_hosts_trust');
    const launcher = new SshTrainerLauncher(host, options(knownHosts));
    const error = await launcher.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshHostKeyError);
    const unknown = error as SshHostKeyError;
    expect(unknown).toMatchObject({
      verdict: 'unknown',
      reason: 'ssh_host_unknown',
      host: '127.0.0.1',
      port: sshd.port,
    });
    expect(unknown.fingerprint).toBe(sshd.hostFingerprint);
    expect(unknown.message).toContain(sshd.hostFingerprint);
    expect(launcher.connected).toBe(false);

    // The UI asks the user, then trusts the key it was shown.
    await new KnownHostsFile(knownHosts).trust(unknown.host, unknown.port, unknown.key);
    expect(readFileSync(knownHosts, 'utf8')).toBe(
      `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`,
    );
    await launcher.connect();
    expect(launcher.connected).toBe(true);
    expect((await launcher.exec('echo $((6 * 7))')).stdout.trim()).toBe('42');
    await launcher.detach();

    // OpenSSH's own hashed known_hosts entries are understood too.
    const hashed = join(tmp.dir, 'known_hosts_hashed');
    writeFileSync(hashed, readFileSync(knownHosts));
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
    const viaHashed = new SshTrainerLauncher(host, options(hashed));
    await viaHashed.connect();
    await viaHashed.detach();

    // Same host, another ed25519 key on record: a changed key, refused.
    const other = join(tmp.dir, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const changed = join(tmp.dir, 'known_hosts_changed');
    writeFileSync(
      changed,
      `[127.0.0.1]:${sshd.port} ${readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
    );
    const refused = await new SshTrainerLauncher(host, options(changed)).connect().catch((e: unknown) => e);
    expect(refused).toMatchObject({ verdict: 'changed', reason: 'ssh_host_changed' });
    expect((refused as Error).message).toMatch(/CHANGED .*refuses to connect/);
    expect(fingerprint((refused as SshHostKeyError).key)).toBe(sshd.hostFingerprint);
  });

  it('says how to fix a refused login', async () => {
    const knownHosts = join(tmp.dir, 'known_hosts_auth');
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    const stranger = join(tmp.dir, 'stranger_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const launcher = new SshTrainerLauncher({ ...host, privateKeyPath: stranger }, options(knownHosts));
    await expect(launcher.connect()).rejects.toMatchObject({
      reason: 'ssh_auth',
      message: expect.stringMatching(/refused the login .*authorized_keys/),
    });
  });
});

describe('a detached remote run', { timeout: 120_000 }, () => {
  it('uploads, runs detached, survives a dropped connection and an app restart, stops via STOP and downloads the checkpoint', async () => {
    const knownHosts = join(tmp.dir, 'known_hosts_run');
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    let socket: Socket | null = null;
    const socketFactory = (h: string, p: number): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = connect(p, h, () => resolve(s));
        s.once('error', reject);
        socket = s;
      });
    const first = new SshTrainerLauncher(host, options(knownHosts, { socketFactory }));
    const seenFirst: TrainerEvent[] = [];
    const connection: string[] = [];
    const logs: string[] = [];
    first.on('event', (e) => seenFirst.push(e));
    first.on('connection', (state) => connection.push(state));
    first.on('log', (line) => logs.push(line));

    const job = longJob('unused', model, 'unused');
    const { run_dir: _r, dataset: _d, ...remoteJob } = job;
    const run = await first.start('run-1', remoteJob, dataset);
    expect(run).toMatchObject({ runId: 'run-1', runDir: join(host.remoteRoot!, 'runs', 'run-1'), python: venvPython });
    expect(existsSync(join(run.runDir, 'dataset.jsonl'))).toBe(true);
    expect(readFileSync(join(run.runDir, 'dataset.jsonl')).equals(readFileSync(dataset))).toBe(true);

    // Drop the TCP connection under the launcher while the run trains.
    await waitFor(() => seenFirst.find((e) => e.type === 'progress'), 'a first progress event');
    socket!.destroy();
    await waitFor(
      () => (connection.includes('restored') ? true : undefined),
      () =>
        `the connection to come back (connection: ${connection.join(', ') || 'none'}; log: ${logs.slice(-5).join(' | ')})`,
    );
    const seqAtRestore = first.lastSeq;
    await waitFor(() => (first.lastSeq > seqAtRestore + 3 ? true : undefined), 'events after reconnecting');
    expect(connection).toEqual(['lost', 'restored']);

    // The studio quits: only the run id and the last seq survive. A new launcher re-attaches.
    await first.detach();
    const lastSeq = first.lastSeq;
    const second = new SshTrainerLauncher(host, options(knownHosts));
    const seenSecond: TrainerEvent[] = [];
    second.on('event', (e) => seenSecond.push(e));
    const exited = new Promise<TrainerExit>((resolve) => second.once('exit', resolve));
    await second.attach('run-1', lastSeq);
    await waitFor(() => seenSecond.find((e) => e.type === 'progress'), 'progress after re-attaching');
    await second.stop();
    const exit = await exited;
    expect(exit, logs.slice(-10).join('\n')).toMatchObject({
      code: 4,
      meaning: 'stopped',
      terminal: { type: 'done', status: 'stopped' },
    });

    // Nothing lost, nothing repeated: the two launchers together saw events.jsonl exactly.
    const all = [...seenFirst, ...seenSecond];
    const onDisk = await new EventFollower().readFile(join(run.runDir, 'events.jsonl'));
    expect(all.map((e) => e.seq)).toEqual(onDisk.map((e) => e.seq));
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all[0]!.type).toBe('hello');
    expect(existsSync(join(run.runDir, 'STOP'))).toBe(false); // the trainer clears it when it stops

    const checkpoint = all.findLast((e) => e.type === 'checkpoint');
    if (checkpoint?.type !== 'checkpoint') throw new Error('the stopped run wrote no checkpoint event');
    const local = join(tmp.dir, 'downloaded');
    const files = await second.download('checkpoints', local);
    const name = checkpoint.path.split('/').pop()!;
    expect(files).toContain(join(local, 'checkpoints', name, 'adapter_model.safetensors'));
    expect(readFileSync(join(local, 'checkpoints', name, 'state.json'), 'utf8')).toContain('"step"');
    await second.detach();
  });

  it('quotes shell words safely', () => {
    expect(shellQuote("it's a /path")).toBe(`'it'\\''s a /path'`);
  });
});
