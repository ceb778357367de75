import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainerEvent } from '../../../common/trainer-protocol';
import { writeTrainerDataset } from '../../../main/core/trainer/dataset-export';
import { EventFollower } from '../../../main/core/trainer/events';
import { LocalTrainerLauncher } from '../../../main/core/trainer/local-launcher';
import { ensureVenv, TrainerLaunchError } from '../../../main/core/trainer/python-env';
import type { TrainerExit } from '../../../main/core/trainer/supervision';
import { repoRoot, tempDir } from '../../support/paths';
import {
  beethoven,
  buildTinyModel,
  longJob,
  studioScenes,
  tinyJob,
  trainerDir,
  trainerEnv,
  venvPython,
} from './fixtures';

const tmp = tempDir('cs-trainer-local-');
let model = '';
let dataset = '';

beforeAll(async () => {
  model = buildTinyModel(join(tmp.dir, 'tiny-llama'));
  dataset = (await writeTrainerDataset(join(tmp.dir, 'scenes.jsonl'), studioScenes(6), beethoven)).path;
}, 60_000);
afterAll(() => tmp.cleanup());

function launcher(python = venvPython): LocalTrainerLauncher {
  return new LocalTrainerLauncher({ python, trainerDir, env: trainerEnv, stopGraceMs: 30_000 });
}

/** Collects everything a launcher says until it exits. */
function record(l: LocalTrainerLauncher): { events: TrainerEvent[]; logs: string[]; exit: Promise<TrainerExit> } {
  const events: TrainerEvent[] = [];
  const logs: string[] = [];
  l.on('event', (e) => events.push(e));
  l.on('log', (line) => logs.push(line));
  l.on('protocolError', (e) => logs.push(`PROTOCOL: ${e.message}`));
  return { events, logs, exit: new Promise((resolve) => l.once('exit', resolve)) };
}

describe('LocalTrainerLauncher on the real trainer', { timeout: 120_000 }, () => {
  it('trains on exported scenes: hello, phases, progress, checkpoint, done, exit "done"', async () => {
    const l = launcher();
    const seen = record(l);
    const runDir = join(tmp.dir, 'short');
    const { jobPath } = await l.start(tinyJob(runDir, model, dataset));
    expect(JSON.parse(readFileSync(jobPath, 'utf8'))).toMatchObject({ run_dir: runDir, dataset });
    const exit = await seen.exit;
    expect(exit, seen.logs.slice(-20).join('\n')).toMatchObject({
      code: 0,
      signal: null,
      meaning: 'done',
      message: 'Training finished.',
    });
    const types = seen.events.map((e) => e.type);
    expect(types[0]).toBe('hello');
    expect(types.at(-1)).toBe('done');
    const phases = seen.events.flatMap((e) => (e.type === 'phase' ? [e.name] : []));
    expect(phases).toEqual(
      expect.arrayContaining(['loading_dataset', 'loading_model', 'tokenizing', 'training', 'saving']),
    );
    expect(types.indexOf('progress')).toBeGreaterThan(types.indexOf('phase'));
    expect(seen.events.filter((e) => e.type === 'progress').map((e) => (e.type === 'progress' ? e.step : 0))).toEqual([
      1, 2, 3,
    ]);
    expect(seen.events.find((e) => e.type === 'checkpoint')).toMatchObject({ step: 2 });
    expect(seen.events.map((e) => e.seq)).toEqual(seen.events.map((_, i) => i + 1));
    expect(exit.terminal).toMatchObject({
      type: 'done',
      status: 'completed',
      outputs: { adapter: join(runDir, 'adapter') },
    });
    expect(existsSync(join(runDir, 'adapter', 'adapter_model.safetensors'))).toBe(true);
    // events.jsonl mirrors stdout exactly.
    const mirrored = await new EventFollower().readFile(join(runDir, 'events.jsonl'));
    expect(mirrored).toEqual(seen.events);
    expect(seen.logs.some((line) => line.startsWith('PROTOCOL'))).toBe(false);
  });

  it('stop() mid-run ends with a checkpoint (exit "stopped"), and a new start resumes from it', async () => {
    const runDir = join(tmp.dir, 'stopped');
    const l = launcher();
    const seen = record(l);
    let stopped = false;
    l.on('event', (e) => {
      if (e.type === 'progress' && e.step >= 3 && !stopped) {
        stopped = true;
        l.stop();
      }
    });
    await l.start(longJob(runDir, model, dataset));
    const exit = await seen.exit;
    expect(exit, seen.logs.slice(-20).join('\n')).toMatchObject({ code: 4, meaning: 'stopped' });
    const checkpoint = seen.events.findLast((e) => e.type === 'checkpoint');
    expect(checkpoint?.type === 'checkpoint' && checkpoint.step).toBeGreaterThanOrEqual(3);
    expect(exit.terminal).toMatchObject({
      type: 'done',
      status: 'stopped',
      outputs: { checkpoint: checkpoint?.type === 'checkpoint' ? checkpoint.path : '' },
    });
    expect(exit.message).toMatch(/stopped with a checkpoint/);
    const stoppedAt = checkpoint?.type === 'checkpoint' ? checkpoint.step : 0;

    // Resume: the same run folder, a short cap; the trainer continues the step and seq counts.
    const again = launcher();
    const resumed = record(again);
    await again.start({
      ...tinyJob(runDir, model, dataset),
      hyperparameters: { ...longJob(runDir, model, dataset).hyperparameters, max_steps: stoppedAt + 2 },
    });
    const second = await resumed.exit;
    expect(second, resumed.logs.slice(-20).join('\n')).toMatchObject({ meaning: 'done' });
    expect(resumed.events.find((e) => e.type === 'phase' && e.name === 'resuming')).toMatchObject({ step: stoppedAt });
    const steps = resumed.events.flatMap((e) => (e.type === 'progress' ? [e.step] : []));
    expect(steps).toEqual([stoppedAt + 1, stoppedAt + 2]);
    expect(resumed.events[0]!.seq).toBe(seen.events.at(-1)!.seq + 1);
  });

  it('cancel() ends at once with nothing saved (exit "cancelled")', async () => {
    const l = launcher();
    const seen = record(l);
    l.on('event', (e) => {
      if (e.type === 'progress' && e.step === 1) l.cancel();
    });
    await l.start(longJob(join(tmp.dir, 'cancelled'), model, dataset));
    expect(await seen.exit).toMatchObject({ code: 5, meaning: 'cancelled', terminal: { status: 'cancelled' } });
  });

  it('reports an invalid job as "invalid_job" with the trainer\'s message', async () => {
    const l = launcher();
    const seen = record(l);
    await l.start({ ...tinyJob(join(tmp.dir, 'invalid'), model, dataset), hyperparameters: { lora_rank: 0 } });
    const exit = await seen.exit;
    expect(exit).toMatchObject({ code: 2, meaning: 'invalid_job', terminal: { type: 'error', code: 'invalid_job' } });
    expect(exit.message).toMatch(/lora_rank must be at least 1/);
  });

  it('kill() ends the process by signal: "killed"', async () => {
    const l = launcher();
    const seen = record(l);
    l.on('event', (e) => {
      if (e.type === 'progress') l.kill();
    });
    await l.start(longJob(join(tmp.dir, 'killed'), model, dataset));
    expect(await seen.exit).toMatchObject({ code: null, signal: 'SIGKILL', meaning: 'killed' });
  });

  it('says what to do when Python is missing or lacks the trainer packages', async () => {
    const missing = launcher(join(tmp.dir, 'no', 'python3'));
    const error = await missing.start(tinyJob(join(tmp.dir, 'x'), model, dataset)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerLaunchError);
    expect(error).toMatchObject({ reason: 'python_missing', code: 'unavailable' });
    expect((error as Error).message).toMatch(
      /not found or not executable: .*no\/python3\. Run scripts\/setup-python\.sh/,
    );
    // Preflight off: the spawn itself fails the same clear way.
    const raw = new LocalTrainerLauncher({ python: join(tmp.dir, 'no', 'python3'), trainerDir, preflight: false });
    await expect(raw.start(tinyJob(join(tmp.dir, 'y'), model, dataset))).rejects.toMatchObject({
      reason: 'python_missing',
    });
    expect(raw.running).toBe(false);

    // A Python without torch & co.: the system interpreter of this machine.
    const bare = launcher('python3');
    await expect(bare.start(tinyJob(join(tmp.dir, 'z'), model, dataset))).rejects.toThrow(
      /lacks the trainer's packages: torch, transformers.*setup-python\.sh/,
    );
  });

  it('doctor() returns the parsed doctor event', async () => {
    const report = await launcher().doctor();
    expect(report).toMatchObject({
      type: 'doctor',
      seq: 1,
      cuda_available: false,
      python: expect.stringMatching(/^3\./),
    });
    expect(report.packages.torch).toMatch(/^2\./);
  });
});

describe('ensureVenv', () => {
  it('returns at once for a venv that already holds the pinned versions', async () => {
    const lines: string[] = [];
    const result = await ensureVenv(join(repoRoot, '.venv'), join(trainerDir, 'requirements.txt'), (line) =>
      lines.push(line),
    );
    expect(result).toEqual({ python: venvPython, installed: false });
    expect(lines).toEqual([expect.stringMatching(/\.venv is up to date \(Python 3\./)]);
  });

  it('fails clearly when the interpreter that should create it does not exist', async () => {
    const target = join(tmp.dir, 'managed-venv');
    await expect(
      ensureVenv(target, join(trainerDir, 'requirements.txt'), () => undefined, {
        basePython: join(tmp.dir, 'nowhere', 'python3'),
      }),
    ).rejects.toThrow(/nowhere\/python3 was not found\. Install Python 3\.10\+ or choose its path/);
    expect(existsSync(target)).toBe(false);
  });
});
