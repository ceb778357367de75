/**
 * A remote training run whose SSH connection drops mid-upload, through the studio: a TCP proxy in
 * front of a real OpenSSH server (test/support/sshd.ts) cuts the link inside the trainer upload;
 * the run ends `interrupted` with a message saying nothing was started, and resume uploads the
 * rest and trains to the end (the real trainer, a tiny random Llama, remoteRoot a temp folder).
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, TrainingConfig, TrainingRun } from '../../../common/contract';
import { Studio } from '../../../main/core/studio';
import { KNOWN_HOSTS_FILE } from '../../../main/core/training/host-service';
import { DEFAULT_HYPERPARAMETERS } from '../../../main/core/training/catalog';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';
import { saveTestHost } from '../../support/ssh-host';
import { startSshd, startTcpProxy, type TcpProxy, type TestSshd } from '../../support/sshd';
import { studioResponder } from '../../support/studio-responder';
import { call, generatedBeethoven } from '../../support/studio';
import { buildTinyModel, trainerDir, trainerEnv, venvPython } from '../trainer/fixtures';

const tmp = tempDir('cs-remote-faults-');
const dataDir = path.join(tmp.dir, 'data');
const remoteRoot = path.join(tmp.dir, 'remote');
let studio: Studio;
let sshd: TestSshd;
let proxy: TcpProxy;
let server: FakeLlmServer;
let characterId: CharacterId;
let model: string;

beforeAll(async () => {
  sshd = await startSshd();
  proxy = await startTcpProxy(sshd.port);
  model = buildTinyModel(path.join(tmp.dir, 'tiny'));
  // The real trainer plus 4 MB, so that a cut after 1 MB lands inside its upload.
  const padded = path.join(tmp.dir, 'trainer');
  fs.cpSync(trainerDir, padded, { recursive: true, filter: (src) => !src.includes('__pycache__') });
  fs.writeFileSync(path.join(padded, 'padding.bin'), randomBytes(4_000_000));
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(
    path.join(dataDir, KNOWN_HOSTS_FILE),
    `[127.0.0.1]:${proxy.port} ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`,
  );
  studio = new Studio({
    dataDir,
    door: 'web',
    version: 'test',
    trainerDir: padded,
    remote: { launcher: { pollMs: 150, reconnectDelaysMs: [200] }, remoteEnv: trainerEnv },
  });
  server = await startFakeLlmServer({ responder: studioResponder() });
  characterId = await generatedBeethoven(studio, server.baseURL, 8);
}, 90_000);
afterAll(async () => {
  await studio?.shutdown();
  await server?.close();
  await proxy?.close();
  await sshd?.stop();
  tmp.cleanup();
});

describe('a remote run whose connection drops mid-upload', () => {
  it('ends interrupted with a clear message, and resume completes the upload and trains', async () => {
    const host = await saveTestHost(
      studio,
      sshd,
      { python: venvPython, remoteRoot },
      { name: 'flaky-gpu', port: proxy.port },
    );
    const config: TrainingConfig = {
      baseModel: model,
      format: 'chat',
      target: host.id,
      python: '',
      hyperparameters: {
        ...DEFAULT_HYPERPARAMETERS,
        batchSize: 2,
        gradAccumulation: 1,
        maxLength: 256,
        maxSteps: 3,
        saveEverySteps: 3,
        evalShare: 0,
        gradientCheckpointing: false,
      },
    };
    const logged: string[] = [];
    const off = studio.events.subscribe((name, payload) => {
      if (name === 'training/logged') logged.push((payload as { line: string }).line);
    });

    proxy.cutAfterBytes = 1_000_000;
    const started = await call(studio, 'training/start', { characterId, config });
    const dropped: TrainingRun = await studio.training.whenIdle(started.id);
    expect(proxy.cuts).toBe(1);
    expect(dropped.status).toBe('interrupted');
    expect(dropped.message).toBe(
      'The connection to 127.0.0.1 was lost while uploading the trainer; nothing was started there. Start the run again (Resume) when the host is reachable.',
    );
    expect(fs.existsSync(path.join(remoteRoot, 'runs', started.id))).toBe(false);

    proxy.cutAfterBytes = null;
    await call(studio, 'training/resume', { id: started.id });
    const run = await studio.training.whenIdle(started.id);
    off();
    expect(run.status, `${run.message ?? ''}\n${logged.slice(-10).join('\n')}`).toBe('succeeded');
    expect(run.step).toBe(3);
    expect(fs.existsSync(path.join(run.outputs.adapter!, 'adapter_model.safetensors'))).toBe(true);
    expect(logged).toContainEqual(expect.stringMatching(/^the trainer: \d+ of \d+ files are already on 127\.0\.0\.1$/));
    expect(fs.readdirSync(path.join(remoteRoot, 'runs', started.id)).filter((f) => f.endsWith('.part'))).toEqual([]);
  }, 90_000);
});
