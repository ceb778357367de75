/**
 * Remote training through the studio, against a real OpenSSH server on 127.0.0.1
 * (test/support/sshd.ts) and the real trainer: hosts and their keys, a run that trains "remotely"
 * (the remote python is the repository's .venv by absolute path, remoteRoot a temp folder) and
 * comes home with its adapter, and a run that survives a studio restart and stops with a checkpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, Host, HostDraft, HostId, TrainingConfig, TrainingRun } from '../../../common/contract';
import type { ProgressEvent } from '../../../common/trainer-protocol';
import { runCli } from '../../../main/cli/main';
import { Studio } from '../../../main/core/studio';
import { EventFollower } from '../../../main/core/trainer/events';
import { trainerCommand } from '../../../main/core/trainer/ssh-launcher';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';
import { startSshd, type TestSshd } from '../../support/sshd';
import { studioResponder } from '../../support/studio-responder';
import { call, callError, generatedBeethoven } from '../../support/studio';
import { buildTinyModel, tinyTrainingConfig, trainerEnv, venvPython } from '../trainer/fixtures';

const tmp = tempDir('cs-remote-train-');
const dataDir = path.join(tmp.dir, 'data');
const remoteRoot = path.join(tmp.dir, 'remote');
let studio: Studio;
let sshd: TestSshd;
let server: FakeLlmServer;
let characterId: CharacterId;
let model: string;

function openStudio(door: 'web' | 'cli' = 'web'): Studio {
  return new Studio({
    dataDir,
    door,
    version: 'test',
    remote: { launcher: { pollMs: 150, reconnectDelaysMs: [200] }, remoteEnv: trainerEnv },
  });
}

/** `work` in a studio of its own on the same data folder, as a terminal's command beside `serve` runs. */
async function inTerminal<T>(work: (terminal: Studio) => Promise<T>): Promise<T> {
  const terminal = openStudio('cli');
  try {
    return await work(terminal);
  } finally {
    await terminal.shutdown();
  }
}

function hostDraft(patch: Partial<HostDraft> = {}): HostDraft {
  return {
    name: 'lab-gpu',
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.userKeyPath,
    python: venvPython,
    remoteRoot,
    gpuCount: 1,
    ...patch,
  };
}

function config(target: HostId, patch: Partial<TrainingConfig['hyperparameters']> = {}): TrainingConfig {
  return tinyTrainingConfig(model, target, patch);
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  sshd = await startSshd();
  model = buildTinyModel(path.join(tmp.dir, 'tiny'));
  studio = openStudio();
  server = await startFakeLlmServer({ responder: studioResponder() });
  characterId = await generatedBeethoven(studio, server.baseURL, 12);
}, 120_000);
afterAll(async () => {
  await studio?.shutdown();
  await server?.close();
  await sshd?.stop();
  tmp.cleanup();
});

let host: Host;

describe('SSH hosts', () => {
  it('saves, validates, renames and deletes hosts; passphrases stay out of the database', async () => {
    const other = await call(studio, 'hosts/save', hostDraft({ name: 'spare', passphrase: 'correct horse battery' }));
    expect(other).toMatchObject({ name: 'spare', port: sshd.port, gpuCount: 1, hasPassphrase: true });
    expect(other).not.toHaveProperty('passphrase');
    expect(fs.readFileSync(path.join(dataDir, 'studio.sqlite')).includes('correct horse battery')).toBe(false);

    expect((await callError(studio, 'hosts/save', hostDraft({ name: 'SPARE' }))).message).toMatch(/already exists/);
    expect((await callError(studio, 'hosts/save', hostDraft({ name: 'x', host: 'me@gpu' }))).message).toMatch(
      /user goes in its own field/,
    );
    expect((await callError(studio, 'hosts/save', hostDraft({ name: 'x', port: 70_000 }))).code).toBe(
      'invalid_argument',
    );
    expect(
      (await callError(studio, 'hosts/save', hostDraft({ name: 'x', privateKeyPath: path.join(tmp.dir, 'nope') })))
        .message,
    ).toMatch(/does not exist.*SSH agent/);
    expect((await callError(studio, 'hosts/save', hostDraft({ name: ' ' }))).message).toMatch(/name/);

    // Update keeps the id; an empty python and root fall back to the defaults; '' removes the passphrase.
    const edited = await call(studio, 'hosts/save', {
      ...hostDraft({ name: 'spare-2', python: ' ', remoteRoot: '', gpuCount: 4, passphrase: '' }),
      id: other.id,
    });
    expect(edited).toMatchObject({
      id: other.id,
      name: 'spare-2',
      python: 'python3',
      remoteRoot: '.character-studio',
      gpuCount: 4,
      hasPassphrase: false,
    });
    expect(await call(studio, 'hosts/delete', { id: other.id })).toEqual({ deleted: true });
    expect((await callError(studio, 'hosts/delete', { id: other.id })).code).toBe('not_found');

    host = await call(studio, 'hosts/save', hostDraft());
    expect((await call(studio, 'hosts/list', {})).map((h) => h.name)).toEqual(['lab-gpu']);
    const missing = await callError(studio, 'training/start', {
      characterId,
      config: config('no-such-host' as HostId),
    });
    expect(missing.message).toMatch(/no SSH host "no-such-host"/);
  });

  it('asks to trust an unknown key, refuses a wrong fingerprint, and trusts the right one', async () => {
    const first = await call(studio, 'hosts/test', { id: host.id });
    expect(first).toMatchObject({ ok: false, needsTrust: true, fingerprint: sshd.hostFingerprint, doctor: null });
    expect(first.summary).toContain(sshd.hostFingerprint);

    const wrong = await callError(studio, 'hosts/trust', {
      id: host.id,
      fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(wrong.code).toBe('conflict');
    expect(wrong.message).toMatch(/Nothing was trusted/);
    expect(fs.existsSync(path.join(dataDir, 'known_hosts'))).toBe(false);
    expect((await call(studio, 'hosts/test', { id: host.id })).needsTrust).toBe(true);

    const trusted = await call(studio, 'hosts/trust', { id: host.id, fingerprint: sshd.hostFingerprint });
    expect(trusted.ok, trusted.summary).toBe(true);
    expect(trusted).toMatchObject({ needsTrust: false, fingerprint: sshd.hostFingerprint });
    expect(trusted.doctor?.ok, trusted.doctor?.summary).toBe(true);
    expect(trusted.doctor?.torch).toMatch(/^2\./);
    expect(fs.readFileSync(path.join(dataDir, 'known_hosts'), 'utf8')).toBe(
      `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`,
    );
    expect((await call(studio, 'hosts/test', { id: host.id })).ok).toBe(true);
  }, 60_000);

  it('launches multi-GPU runs through torchrun', () => {
    expect(trainerCommand('/venv/bin/python', '/r/job.json', 1)).toBe(
      `'/venv/bin/python' -m character_trainer train --job '/r/job.json'`,
    );
    expect(trainerCommand('python3', '/r/job.json', 4)).toBe(
      `'python3' -m torch.distributed.run --standalone --nproc_per_node 4 -m character_trainer train --job '/r/job.json'`,
    );
  });
});

describe('the hosts command line', () => {
  it('adds, lists, tests, trusts and deletes a host', async () => {
    const cliData = path.join(tmp.dir, 'cli-data');
    const cli = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await runCli([...args, '--data-dir', cliData], {
        out: (t) => (out += `${t}\n`),
        err: (t) => (err += `${t}\n`),
        stdin: () => Promise.resolve(Buffer.alloc(0)),
      });
      return { code, out, err };
    };
    const added = await cli(
      'hosts',
      'add',
      '--name',
      'box',
      '--host',
      sshd.host,
      '--port',
      String(sshd.port),
      '--user',
      sshd.username,
      '--key',
      sshd.userKeyPath,
      '--python',
      venvPython,
      '--remote-root',
      remoteRoot,
      '--gpus',
      '2',
    );
    expect(added.code, added.err).toBe(0);
    expect((await cli('hosts', 'list')).out).toMatch(
      new RegExp(`box — ${sshd.username}@127\\.0\\.0\\.1:${sshd.port}, key .*2 GPU`),
    );
    const test = await cli('hosts', 'test', 'box');
    expect(test.code).toBe(1);
    expect(test.out).toContain(`hosts trust box --fingerprint ${sshd.hostFingerprint}`);
    const bare = await cli('hosts', 'trust', 'box');
    expect(bare.code).toBe(2);
    expect(bare.err).toContain(sshd.hostFingerprint);
    const trusted = await cli('hosts', 'trust', 'box', '--fingerprint', sshd.hostFingerprint, '--json');
    expect(trusted.code, trusted.err).toBe(0);
    expect(JSON.parse(trusted.out)).toMatchObject({ ok: true, needsTrust: false });
    const unasked = await cli('hosts', 'delete', 'box');
    expect([unasked.code, unasked.err]).toEqual([
      2,
      expect.stringContaining(
        'This deletes the host box (runs made there keep their records and downloaded files), and there is no terminal to ask on: nothing was deleted. Add --yes',
      ),
    ]);
    expect((await cli('hosts', 'delete', 'box', '--yes')).code).toBe(0);
    expect((await cli('hosts', 'test', 'box')).err).toMatch(/No SSH host "box"/);
  }, 60_000);
});

describe('training on an SSH host', () => {
  it('trains remotely and downloads the adapter into the local run folder', async () => {
    const started = await call(studio, 'training/start', { characterId, config: config(host.id) });
    expect(started.config.target).toBe(host.id);
    const run = await studio.training.whenIdle(started.id);
    expect(run.status, run.message ?? '').toBe('succeeded');
    expect(run.step).toBe(6);
    expect(run.points.filter((p) => p.loss !== null).map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    const localRun = path.join(dataDir, 'runs', run.id);
    expect(run.outputs.adapter).toBe(path.join(localRun, 'adapter'));
    expect(fs.existsSync(path.join(run.outputs.adapter!, 'adapter_model.safetensors'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(run.outputs.manifest!, 'utf8'))).toHaveProperty('base_model');
    for (const file of Object.values(run.outputs)) expect(file.startsWith(localRun), file).toBe(true);
    // It really ran in the remote root, not in the local run folder.
    expect(fs.existsSync(path.join(remoteRoot, 'runs', run.id, 'events.jsonl'))).toBe(true);
  }, 120_000);

  it('re-attaches after a studio restart without losing or repeating steps, and stops with a checkpoint', async () => {
    const started = await call(studio, 'training/start', {
      characterId,
      config: config(host.id, { epochs: 100, batchSize: 1, maxSteps: 5000, saveEverySteps: 100_000 }),
    });
    await waitFor('training steps before the restart', () =>
      studio.training.get(started.id).step >= 3 ? true : undefined,
    );

    // The studio goes away without stopping the run; it goes on training on the host.
    await studio.detach();
    const remoteEvents = path.join(remoteRoot, 'runs', started.id, 'events.jsonl');
    const sizeAtDetach = fs.statSync(remoteEvents).size;
    await waitFor('the detached run to go on', () =>
      fs.statSync(remoteEvents).size > sizeAtDetach + 2000 ? true : undefined,
    );

    studio = openStudio();
    const seen: TrainingRun[] = [];
    const off = studio.events.subscribe((name, payload) => {
      if (name === 'training/progressed' && (payload as TrainingRun).id === started.id)
        seen.push(payload as TrainingRun);
    });
    expect(studio.training.get(started.id).status).toBe('running');
    const stepAtRestart = studio.training.get(started.id).step;
    await waitFor('progress after re-attaching', () =>
      studio.training.get(started.id).step > stepAtRestart + 20 ? true : undefined,
    );
    // Stopped from a terminal: the studio that follows the run takes the request and stops it there.
    const { asked, followedThere } = await inTerminal(async (terminal) => ({
      asked: await call(terminal, 'training/stop', { id: started.id }),
      followedThere: terminal.training.followed(started.id),
    }));
    expect(asked.status).toBe('stopping');
    expect(followedThere).toBe(false); // taken by the studio that follows it, not done from the terminal
    const run = await studio.training.whenIdle(started.id);
    off();
    expect(run.status, run.message ?? '').toBe('stopped');
    expect(seen.some((r) => r.status === 'stopping')).toBe(true);

    // The loss curve holds every step the trainer reported, once, with none missing.
    const events = await new EventFollower().readFile(remoteEvents);
    const progress = events
      .filter((e): e is ProgressEvent => e.type === 'progress' && e.loss != null)
      .map((e) => e.step);
    const points = run.points.filter((p) => p.loss !== null).map((p) => p.step);
    expect(points).toEqual(progress);
    expect(points).toEqual(Array.from({ length: points.length }, (_, i) => i + 1));
    expect(run.step).toBe(points.at(-1));

    // The checkpoint came home.
    const checkpoint = run.outputs.checkpoint!;
    expect(checkpoint.startsWith(path.join(dataDir, 'runs', run.id, 'checkpoints'))).toBe(true);
    expect(fs.existsSync(path.join(checkpoint, 'adapter_model.safetensors'))).toBe(true);
    expect(fs.readFileSync(path.join(checkpoint, 'state.json'), 'utf8')).toContain('"step"');
  }, 150_000);

  it('marks a run on an unreachable host interrupted, then re-attaches on resume and cancels it there', async () => {
    const started = await call(studio, 'training/start', {
      characterId,
      config: config(host.id, { epochs: 100, batchSize: 1, maxSteps: 5000, saveEverySteps: 100_000 }),
    });
    await waitFor('training steps', () => (studio.training.get(started.id).step >= 3 ? true : undefined));
    // The host becomes unreachable (here: its settings point at a closed port) while the studio is away.
    const { id: _id, createdAt: _c, updatedAt: _u, hasPassphrase: _p, ...draft } = host;
    await call(studio, 'hosts/save', { ...draft, id: host.id, port: 1 });
    await studio.detach();
    studio = openStudio();
    const lost = await studio.training.whenIdle(started.id);
    expect(lost.status).toBe('interrupted');
    expect(lost.message).toMatch(/may still be running there: resume to re-attach/);

    await call(studio, 'hosts/save', { ...draft, id: host.id });
    await call(studio, 'training/resume', { id: started.id });
    const stepAtResume = studio.training.get(started.id).step;
    await waitFor('progress after re-attaching', () =>
      studio.training.get(started.id).step > stepAtResume + 5 ? true : undefined,
    );
    await call(studio, 'training/cancel', { id: started.id });
    const run = await studio.training.whenIdle(started.id);
    expect(run.status, run.message ?? '').toBe('cancelled');
    const pid = Number(fs.readFileSync(path.join(remoteRoot, 'runs', started.id, 'pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
    // Re-attached, not restarted: one hello in the run's events, steps counted on from where it was.
    const events = await new EventFollower().readFile(path.join(remoteRoot, 'runs', started.id, 'events.jsonl'));
    expect(events.filter((e) => e.type === 'hello')).toHaveLength(1);
  }, 120_000);

  it('cancels, from a terminal, a run no studio follows: killed on the host and recorded cancelled', async () => {
    const started = await call(studio, 'training/start', {
      characterId,
      config: config(host.id, { epochs: 100, batchSize: 1, maxSteps: 5000, saveEverySteps: 100_000 }),
    });
    await waitFor('training steps', () => (studio.training.get(started.id).step >= 2 ? true : undefined));
    await studio.detach();
    const pid = Number(fs.readFileSync(path.join(remoteRoot, 'runs', started.id, 'pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).not.toThrow();

    const run = await inTerminal((terminal) => call(terminal, 'training/cancel', { id: started.id }));
    expect(run).toMatchObject({
      status: 'cancelled',
      message: 'Cancelled on lab-gpu; nothing was saved beyond the last checkpoint there.',
    });
    await waitFor('the remote trainer to die', () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
    // The next studio window finds it cancelled and follows nothing.
    studio = openStudio();
    expect(studio.training.get(started.id).status).toBe('cancelled');
  }, 120_000);
});
