/**
 * Stopping a run on an SSH host that no studio follows (the studio that started it has closed),
 * against a real OpenSSH server on 127.0.0.1 (test/support/sshd.ts) and the real trainer: the
 * process that asks sees the stop through to `stopped` with the checkpoint home, from the screen's
 * door and from a terminal's `train stop`, and a run left `stopping` whose host cannot be reached
 * ends `interrupted` with the reason instead of stopping for ever.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, Host, RunId, TrainingRun } from '../../../common/contract';
import { Studio } from '../../../main/core/studio';
import { runCliIn } from '../../support/cli';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';
import { resaveHost, trustedTestHost } from '../../support/ssh-host';
import { startSshd, type TestSshd } from '../../support/sshd';
import { studioResponder } from '../../support/studio-responder';
import { call, callError, generatedBeethoven } from '../../support/studio';
import { buildTinyModel, tinyTrainingConfig, trainerEnv, venvPython } from '../trainer/fixtures';

const tmp = tempDir('cs-remote-stop-');
const dataDir = path.join(tmp.dir, 'data');
const remoteRoot = path.join(tmp.dir, 'remote');
let sshd: TestSshd;
let server: FakeLlmServer;
let characterId: CharacterId;
let model: string;
let host: Host;

function openStudio(door: 'web' | 'cli'): Studio {
  return new Studio({
    dataDir,
    door,
    version: 'test',
    remote: { launcher: { pollMs: 150, reconnectDelaysMs: [200] }, remoteEnv: trainerEnv },
  });
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

/**
 * A long run started by a studio that then closes (as the desktop app quitting does): the run goes
 * on training on the host, and no studio follows it. A terminal's studio, so nothing re-attaches.
 */
async function unfollowedRun(): Promise<RunId> {
  const starter = openStudio('cli');
  const started = await call(starter, 'training/start', {
    characterId,
    config: tinyTrainingConfig(model, host.id, { epochs: 100, batchSize: 1, maxSteps: 5000, saveEverySteps: 100_000 }),
  });
  await waitFor('training steps', () => (starter.training.get(started.id).step >= 2 ? true : undefined));
  await starter.detach();
  return started.id;
}

/** The run as stored, read by a terminal's studio (which re-attaches to nothing). */
async function stored(id: RunId): Promise<TrainingRun> {
  const reader = openStudio('cli');
  try {
    return reader.training.get(id);
  } finally {
    await reader.shutdown();
  }
}

function remotePid(id: RunId): number {
  return Number(fs.readFileSync(path.join(remoteRoot, 'runs', id, 'pid'), 'utf8'));
}

function alive(pid: number): boolean {
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
  server = await startFakeLlmServer({ responder: studioResponder() });
  const studio = openStudio('web');
  try {
    characterId = await generatedBeethoven(studio, server.baseURL, 12);
    host = await trustedTestHost(studio, sshd, { python: venvPython, remoteRoot });
  } finally {
    await studio.shutdown();
  }
}, 120_000);
afterAll(async () => {
  await server?.close();
  await sshd?.stop();
  tmp.cleanup();
});

describe('stopping a run on an SSH host that no studio follows', () => {
  it('is seen through by the screen that asks: stopping, then stopped with its checkpoint home', async () => {
    // `serve` opened before the run started (in a terminal, whose studio then closed): it does not follow it.
    const screen = openStudio('web');
    try {
      const id = await unfollowedRun();
      const seen: string[] = [];
      const off = screen.events.subscribe((name, payload) => {
        if (name === 'training/progressed' && (payload as TrainingRun).id === id)
          seen.push((payload as TrainingRun).status);
      });
      const asked = await call(screen, 'training/stop', { id });
      expect(asked.status).toBe('stopping');
      expect(asked.message).toBe('Stopping: asked the run on lab-gpu to save a checkpoint and stop…');
      const run = await screen.training.whenIdle(id);
      off();
      expect(run.status, run.message ?? '').toBe('stopped');
      // Never shown running again while it saved: the window's badge went stopping → stopped.
      expect(seen.filter((s) => s !== 'stopping' && s !== 'stopped')).toEqual([]);
      const checkpoint = run.outputs.checkpoint!;
      expect(checkpoint.startsWith(path.join(dataDir, 'runs', id, 'checkpoints'))).toBe(true);
      expect(fs.existsSync(path.join(checkpoint, 'adapter_model.safetensors'))).toBe(true);
      expect(alive(remotePid(id))).toBe(false);
      expect((await stored(id)).status).toBe('stopped');
    } finally {
      await screen.shutdown();
    }
  }, 150_000);

  it('is seen through by train stop in a terminal, which prints the run stopped', async () => {
    const id = await unfollowedRun();
    const stop = await runCliIn(dataDir, ['train', 'stop', id.slice(0, 12)]);
    expect(stop.code, stop.err).toBe(0);
    expect(stop.err).toMatch(/Waiting for it to stop and its checkpoint to come home/);
    expect(stop.out).toMatch(/stopped/);
    const run = await stored(id);
    expect(run.status, run.message ?? '').toBe('stopped');
    expect(fs.existsSync(path.join(run.outputs.checkpoint!, 'adapter_model.safetensors'))).toBe(true);
    expect(alive(remotePid(id))).toBe(false);
  }, 150_000);

  it('ends a run left stopping interrupted, saying why, when its host cannot be reached', async () => {
    const id = await unfollowedRun();
    // A terminal asked it to stop and closed before the trainer had saved (Ctrl+C on the wait).
    const terminal = openStudio('cli');
    expect((await call(terminal, 'training/stop', { id })).status).toBe('stopping');
    await terminal.detach();
    expect((await stored(id)).status).toBe('stopping');

    // The host cannot be reached now (its settings point at a closed port).
    const admin = openStudio('cli');
    await resaveHost(admin, host, { port: 1 });
    await admin.shutdown();

    const stop = await runCliIn(dataDir, ['train', 'stop', id]);
    expect(stop.code).toBe(1);
    expect(stop.out).toMatch(/interrupted/);
    expect(stop.err).toMatch(/Could not reach lab-gpu to see the stop through: .+ resume to re-attach/);
    const run = await stored(id);
    expect(run.status).toBe('interrupted');
    expect(run.message).toMatch(/^Could not reach lab-gpu to see the stop through/);

    // Reachable again: the stopped trainer is found ended on resume, and nothing trains on.
    const restore = openStudio('cli');
    await resaveHost(restore, host, {});
    await restore.shutdown();
    await waitFor('the asked trainer to save and exit', () => (alive(remotePid(id)) ? undefined : true));
  }, 150_000);
});

describe('a live run whose SSH host is deleted', () => {
  // Each test deletes the host: the next one adds it again (a new host with a new id).
  beforeEach(async () => {
    const admin = openStudio('cli');
    try {
      if ((await call(admin, 'hosts/list', {})).length === 0)
        host = await trustedTestHost(admin, sshd, { python: venvPython, remoteRoot });
    } finally {
      await admin.shutdown();
    }
  });

  /** Trainers these tests leave running on purpose, killed whatever happens. */
  const leftRunning: number[] = [];
  afterEach(() => {
    for (const pid of leftRunning.splice(0)) if (alive(pid)) process.kill(-pid, 'SIGKILL');
  });

  /** The note's own words for stopping the trainer by hand, as the run recorded where it lives. */
  function expectHandStopNote(message: string | null, id: RunId): void {
    const pid = remotePid(id);
    expect(message).toMatch(/^Cancelled in the studio only: .*could not reach the machine.*may still be running there/);
    expect(message).toContain(`ssh -p ${sshd.port} ${sshd.username}@${sshd.host} 'kill -- -${pid}'`);
    expect(message).toContain(path.join(remoteRoot, 'runs', id));
  }

  /** A live run nobody follows, whose host is then deleted (forced, as the tests below do it). */
  async function orphanedRun(): Promise<RunId> {
    const id = await unfollowedRun();
    leftRunning.push(remotePid(id));
    const admin = openStudio('cli');
    try {
      expect(await call(admin, 'hosts/delete', { id: host.id, force: true })).toEqual({ deleted: true });
    } finally {
      await admin.shutdown();
    }
    return id;
  }

  /**
   * An orphaned run that a window opened after found interrupted, and its machine then added again
   * in that window (a new host): the run is the new host's, so the studio reaches it again.
   */
  async function hostAddedAgain(): Promise<{ id: RunId; screen: Studio }> {
    const id = await orphanedRun();
    const screen = openStudio('web');
    try {
      await waitFor('the run interrupted', () => (screen.training.get(id).status === 'interrupted' ? true : undefined));
      host = await trustedTestHost(screen, sshd, { python: venvPython, remoteRoot });
    } catch (error) {
      await screen.shutdown();
      throw error;
    }
    return { id, screen };
  }

  it('is named when the host is deleted, which is refused unless forced; train cancel then ends it here, saying where to stop it', async () => {
    const id = await unfollowedRun();
    leftRunning.push(remotePid(id));
    const admin = openStudio('cli');
    try {
      const refused = await callError(admin, 'hosts/delete', { id: host.id });
      expect(refused.code).toBe('conflict');
      expect(refused.message).toContain(`lab-gpu has a live training run: Beethoven (run ${id}, running).`);
      expect(refused.message).toMatch(/Cancel or stop it first .*then delete the host/);
    } finally {
      await admin.shutdown();
    }
    const asked = await runCliIn(dataDir, ['hosts', 'delete', 'lab-gpu', '--yes']);
    expect(asked.code).not.toBe(0);
    expect(asked.err).toMatch(/a live training run: Beethoven .*Nothing was deleted.*add --force/);
    expect(JSON.parse((await runCliIn(dataDir, ['hosts', 'list', '--json'])).out)).toHaveLength(1);

    const forced = await runCliIn(dataDir, ['hosts', 'delete', 'lab-gpu', '--yes', '--force']);
    expect(forced.code, forced.err).toBe(0);
    expect(JSON.parse((await runCliIn(dataDir, ['hosts', 'list', '--json'])).out)).toEqual([]);

    const cancel = await runCliIn(dataDir, ['train', 'cancel', id]);
    expect(cancel.code, cancel.err).toBe(0);
    expect(cancel.out).toMatch(/cancelled/);
    const run = await stored(id);
    expect(run.status).toBe('cancelled');
    expectHandStopNote(run.message, id);
    expectHandStopNote(cancel.err.trim(), id);
    // Nothing reached the machine: the trainer trains on there, until stopped by hand as the note says.
    const pid = remotePid(id);
    expect(alive(pid)).toBe(true);
    process.kill(-pid, 'SIGKILL');
    await waitFor('the trainer killed by hand', () => (alive(pid) ? undefined : true));
  }, 150_000);

  it('is cancelled with the note after a restart found its host deleted, its log kept', async () => {
    const id = await orphanedRun();
    // The app opens again: it cannot re-attach, and says why.
    const screen = openStudio('web');
    try {
      const interrupted = await waitFor('the run interrupted', () => {
        const run = screen.training.get(id);
        return run.status === 'interrupted' ? run : undefined;
      });
      expect(interrupted.message).toMatch(/SSH host of this run was deleted/);
      const log = await call(screen, 'training/log', { runId: id });
      const run = await call(screen, 'training/cancel', { id });
      expect(run.status).toBe('cancelled');
      expectHandStopNote(run.message, id);
      expect(await call(screen, 'training/log', { runId: id })).toEqual(log);
    } finally {
      await screen.shutdown();
    }
    expect(alive(remotePid(id))).toBe(true);
  }, 150_000);

  it('is cancelled there once its host is added again, without a resume: cancel kills its trainer', async () => {
    const { id, screen } = await hostAddedAgain();
    try {
      expect(alive(remotePid(id))).toBe(true);
      const cancelled = await call(screen, 'training/cancel', { id });
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.message).toBe(
        'Cancelled on lab-gpu: its trainer was still running there and is stopped; nothing was saved beyond the last checkpoint there.',
      );
      await waitFor('the trainer killed', () => (alive(remotePid(id)) ? undefined : true), 10_000);
    } finally {
      await screen.shutdown();
    }
  }, 150_000);

  it('is cancelled here with the way to stop it by hand when its host, added again, cannot be reached', async () => {
    const { id, screen } = await hostAddedAgain();
    try {
      await resaveHost(screen, host, { port: 1 });
      const cancelled = await call(screen, 'training/cancel', { id });
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.message).toMatch(
        /^Cancelled in the studio only: the studio could not reach lab-gpu \(.+\), and the trainer may still be running there\./,
      );
      expect(cancelled.message).toContain(
        `ssh -p ${sshd.port} ${sshd.username}@${sshd.host} 'kill -- -${remotePid(id)}'`,
      );
      expect(alive(remotePid(id))).toBe(true);
    } finally {
      // The next tests' runs need the host as it was.
      await resaveHost(screen, host, {});
      await screen.shutdown();
    }
  }, 150_000);

  it('is reached again once its host is added again: resumed, it re-attaches, and cancel stops it there', async () => {
    const { id, screen } = await hostAddedAgain();
    try {
      expect(screen.training.get(id).config.target).toBe(host.id);
      await call(screen, 'training/resume', { id });
      await waitFor('the run re-attached', () => {
        const run = screen.training.get(id);
        return run.status === 'running' && run.message === null ? true : undefined;
      });
      await call(screen, 'training/cancel', { id });
      const run = await screen.training.whenIdle(id);
      expect(run.status, run.message ?? '').toBe('cancelled');
      expect(run.message).toMatch(/^Training cancelled/);
      expect(alive(remotePid(id))).toBe(false);
    } finally {
      await screen.shutdown();
    }
  }, 150_000);
});
