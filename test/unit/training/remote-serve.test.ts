/**
 * Serving a run trained on an SSH host on that host, through an SSH tunnel, against a real OpenSSH
 * server on 127.0.0.1 (test/support/sshd.ts) and the real trainer (the remote python is the
 * repository's .venv by absolute path, the remote root a temp folder): the model server runs in the
 * run's remote folder on a remote port, the studio's URL is the tunnel's local end, and the real
 * `openai` client talks to the model through it.
 */
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, Host, HostId, TrainingConfig, TrainingRun } from '../../../common/contract';
import type { PhaseEvent } from '../../../common/trainer-protocol';
import { Studio } from '../../../main/core/studio';
import { EventFollower } from '../../../main/core/trainer/events';
import { KnownHostsFile } from '../../../main/core/trainer/known-hosts';
import { SshTrainerLauncher } from '../../../main/core/trainer/ssh-launcher';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';
import { resaveHost, trustedTestHost } from '../../support/ssh-host';
import { canConnect, startSshd, startTcpProxy, type TcpProxy, type TestSshd } from '../../support/sshd';
import { studioResponder } from '../../support/studio-responder';
import { call, generatedBeethoven } from '../../support/studio';
import { buildTinyModel, tinyTrainingConfig, trainerDir, trainerEnv, venvPython } from '../trainer/fixtures';

const tmp = tempDir('cs-remote-serve-');
const dataDir = path.join(tmp.dir, 'data');
const remoteRoot = path.join(tmp.dir, 'remote');
let studio: Studio;
let sshd: TestSshd;
let server: FakeLlmServer;
let characterId: CharacterId;
let model: string;
let host: Host;
let proxy: TcpProxy | undefined;
/** The run trained on the host by the first test. */
let runId: TrainingRun['id'];

function config(target: HostId): TrainingConfig {
  return tinyTrainingConfig(model, target, { maxSteps: 2, saveEverySteps: 100, evalShare: 0 });
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  sshd = await startSshd();
  model = buildTinyModel(path.join(tmp.dir, 'tiny'));
  studio = new Studio({
    dataDir,
    door: 'web',
    version: 'test',
    remote: { launcher: { pollMs: 150, reconnectDelaysMs: [200] }, remoteEnv: trainerEnv },
  });
  server = await startFakeLlmServer({ responder: studioResponder() });
  characterId = await generatedBeethoven(studio, server.baseURL, 6);
  host = await trustedTestHost(studio, sshd, { python: venvPython, remoteRoot });
}, 120_000);
afterAll(async () => {
  await studio?.shutdown();
  await server?.close();
  await proxy?.close();
  await sshd?.stop();
  tmp.cleanup();
});

describe('serving a remote run on its host', () => {
  it('serves on the host through an SSH tunnel, answers OpenAI clients and the Chat tab, and stops there', async () => {
    const started = await call(studio, 'training/start', { characterId, config: config(host.id) });
    const trained = await studio.training.whenIdle(started.id);
    expect(trained.status, trained.message ?? '').toBe('succeeded');
    runId = trained.id;
    const remoteRun = path.join(remoteRoot, 'runs', trained.id);

    const updates: TrainingRun[] = [];
    const off = studio.events.subscribe((name, payload) => {
      if (name === 'training/progressed' && (payload as TrainingRun).id === trained.id)
        updates.push(payload as TrainingRun);
    });
    const served = await call(studio, 'training/serve', { id: trained.id });
    expect(served.serving?.state).toBe('ready');
    const url = served.serving!.url!;
    const model = served.serving!.model!;
    const localPort = Number(/^http:\/\/127\.0\.0\.1:(\d+)\/v1$/.exec(url)?.[1]);
    expect(localPort, url).toBeGreaterThan(0);
    expect(updates.some((r) => r.serving?.state === 'starting')).toBe(true);

    // The server runs in the run's remote folder, on its own remote port; the studio's URL is the tunnel's end.
    const events = await new EventFollower().readFile(path.join(remoteRun, 'events.jsonl'));
    const serving = events.filter((e): e is PhaseEvent => e.type === 'phase' && e.name === 'serving').at(-1);
    const remotePort = Number(/:(\d+)\/v1$/.exec(serving?.url ?? '')?.[1]);
    expect(serving?.model).toBe(model);
    expect(remotePort).toBeGreaterThan(0);
    expect(remotePort).not.toBe(localPort);
    const pid = Number(fs.readFileSync(path.join(remoteRun, 'serve.pid'), 'utf8'));
    expect(processAlive(pid)).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(remoteRun, 'job.serve.json'), 'utf8'))).toMatchObject({
      run_dir: remoteRun,
      serve: { host: '127.0.0.1', port: 0, model_name: model },
    });
    // Training's own records stay as they were.
    expect(fs.readFileSync(path.join(remoteRun, 'pid'), 'utf8').trim()).not.toBe(String(pid));

    const client = new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
    const listed = await client.models.list();
    expect(listed.data.map((m) => m.id)).toContain(model);
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Good morning, Maestro.' }],
      max_tokens: 6,
    });
    expect(completion.model).toBe(model);
    expect(completion.choices[0]?.message.role).toBe('assistant');
    expect(typeof completion.choices[0]?.message.content).toBe('string');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(6);

    // The Chat tab's served runtime reaches it through the tunnel, through the LLM gateway.
    const conversation = await call(studio, 'chat/create', {
      characterId,
      target: { kind: 'run', runId: trained.id },
      runtime: 'served',
      setting: { location: 'Vienna', status: 'Morning.' },
    });
    const reply = await call(studio, 'chat/send', {
      conversationId: conversation.conversation.id,
      text: 'How is the symphony going?',
      sampling: { maxTokens: 6 },
    });
    expect(reply, reply.error ?? '').toMatchObject({ state: 'complete', producer: { runtime: 'served' } });

    // Serving twice is the same server.
    expect((await call(studio, 'training/serve', { id: trained.id })).serving?.url).toBe(url);

    const stopped = await call(studio, 'training/serve-stop', { id: trained.id });
    off();
    expect(stopped.serving).toBeNull();
    expect(updates.at(-1)?.serving).toBeNull();
    await waitFor('the remote server to exit', () => (processAlive(pid) ? undefined : true), 20_000);
    expect(await canConnect(localPort)).toBe(false);
    expect(fs.readFileSync(path.join(remoteRun, 'serve.exit_code'), 'utf8').trim()).toBe('0');
  }, 90_000);

  it('ends serving when the SSH connection is lost, and stops the server on the host once it is reachable', async () => {
    // The host is reached through a proxy that can drop the link.
    proxy = await startTcpProxy(sshd.port);
    await resaveHost(studio, host, { port: proxy.port });
    expect((await call(studio, 'hosts/trust', { id: host.id, fingerprint: sshd.hostFingerprint })).ok).toBe(true);

    const served = await call(studio, 'training/serve', { id: runId });
    const localPort = Number(/:(\d+)\/v1$/.exec(served.serving?.url ?? '')?.[1]);
    expect(await canConnect(localPort)).toBe(true);
    const pid = Number(fs.readFileSync(path.join(remoteRoot, 'runs', runId, 'serve.pid'), 'utf8'));
    expect(processAlive(pid)).toBe(true);

    const ended = new Promise<TrainingRun>((resolve) => {
      const off = studio.events.subscribe((name, payload) => {
        const run = payload as TrainingRun;
        if (name === 'training/progressed' && run.id === runId && run.serving === null) {
          off();
          resolve(run);
        }
      });
    });
    proxy.dropAll();
    expect((await ended).serving).toBeNull();
    expect(studio.training.get(runId).serving).toBeNull();
    expect(await canConnect(localPort)).toBe(false);
    // The studio reconnects only to ask the orphaned server to stop.
    await waitFor('the remote server to exit', () => (processAlive(pid) ? undefined : true), 30_000);
  }, 60_000);

  it("rejects with the trainer's own message when the server cannot start, and leaves nothing open", async () => {
    const launcher = new SshTrainerLauncher(
      {
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        privateKeyPath: sshd.userKeyPath,
        python: venvPython,
        remoteRoot,
        env: trainerEnv,
      },
      { hostKeys: new KnownHostsFile(path.join(dataDir, 'known_hosts')), trainerDir, pollMs: 150 },
    );
    await expect(launcher.startServe('no-such-run', { base_model: model, format: 'chat' })).rejects.toThrow(
      /no-such-run is not on 127\.0\.0\.1 any more/,
    );
    fs.mkdirSync(path.join(remoteRoot, 'runs', 'no-model'), { recursive: true });
    await expect(launcher.startServe('no-model', { base_model: '', format: 'chat' })).rejects.toThrow(
      /model server on 127\.0\.0\.1 did not start: job\.base_model is required/,
    );
    expect(launcher.served).toBeNull();
    expect(launcher.connected).toBe(false);
    expect(fs.readFileSync(path.join(remoteRoot, 'runs', 'no-model', 'serve.exit_code'), 'utf8').trim()).not.toBe('0');
  }, 30_000);

  it('serves a remote run on this computer when its host was deleted', async () => {
    const before = fs.readFileSync(path.join(remoteRoot, 'runs', runId, 'serve.pid'), 'utf8');
    expect(await call(studio, 'hosts/delete', { id: host.id })).toEqual({ deleted: true });
    const served = await call(studio, 'training/serve', { id: runId });
    expect(served.serving?.state).toBe('ready');
    // The local trainer wrote its serve job into the local run folder; nothing new started on the host.
    expect(fs.existsSync(path.join(dataDir, 'runs', runId, 'job.serve.json'))).toBe(true);
    expect(fs.readFileSync(path.join(remoteRoot, 'runs', runId, 'serve.pid'), 'utf8')).toBe(before);
    const client = new OpenAI({ baseURL: served.serving!.url!, apiKey: 'unused', maxRetries: 0 });
    expect((await client.models.list()).data.map((m) => m.id)).toContain(served.serving!.model);
    expect((await call(studio, 'training/serve-stop', { id: runId })).serving).toBeNull();
  }, 60_000);
});
