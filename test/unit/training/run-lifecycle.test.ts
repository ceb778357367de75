import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, RunId, TrainingConfig, TrainingRun } from '../../../common/contract';
import { call, callError, type makeStudio } from '../../support/studio';
import { tinyTrainingConfig, venvPython } from '../trainer/fixtures';
import { openTrainingBench } from './bench';

/**
 * What a finished run goes through after training, with the real trainer on the tiny random Llama:
 * its warnings kept, exports that never make it "running" again, and serving one model at a time.
 * Also: base models that cannot be trained on are refused before anything starts.
 */
let bench: Awaited<ReturnType<typeof openTrainingBench>>;
let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
let model: string;

function config(patch: Partial<TrainingConfig['hyperparameters']> = {}): TrainingConfig {
  // 192 tokens cuts the generated scenes: the trainer warns about it.
  return { ...tinyTrainingConfig(model, 'local', { maxSteps: 2, maxLength: 192, ...patch }), python: venvPython };
}

/** Every `training/progressed` of one run from now on; `stop` ends the recording. */
function record(id: RunId): { seen: TrainingRun[]; stop: () => void } {
  const seen: TrainingRun[] = [];
  const stop = env.studio.events.subscribe((name, payload) => {
    if (name === 'training/progressed' && (payload as TrainingRun).id === id) seen.push(payload as TrainingRun);
  });
  return { seen, stop };
}

async function trained(): Promise<TrainingRun> {
  const started = await call(env.studio, 'training/start', { characterId, config: config() });
  const run = await env.studio.training.whenIdle(started.id);
  expect(run.status, run.message ?? '').toBe('succeeded');
  return run;
}

beforeAll(async () => {
  bench = await openTrainingBench(6);
  ({ env, characterId, model } = bench);
}, 120_000);
afterAll(async () => {
  await bench?.close();
});

describe('a base model that cannot be trained on', () => {
  it('is refused before a run starts, with what to do', async () => {
    const check = async (baseModel: string, target: 'local' = 'local') =>
      (await call(env.studio, 'training/check-model', { baseModel, target })).problem;
    const empty = path.join(bench.modelsDir, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const noWeights = path.join(bench.modelsDir, 'no-weights');
    fs.mkdirSync(noWeights, { recursive: true });
    fs.writeFileSync(path.join(noWeights, 'config.json'), '{}');

    expect(await check(model)).toBeNull();
    expect(await check('Qwen/Qwen2.5-1.5B-Instruct')).toBeNull();
    expect(await check('gpt2')).toBeNull();
    expect(await check(path.join(bench.modelsDir, 'missing'))).toMatch(/^There is no .*missing\. Give the folder/);
    expect(await check(empty)).toMatch(/holds no model: there is no config\.json in it/);
    expect(await check(noWeights)).toMatch(/has a config\.json but no weights/);
    expect(await check(path.join(model, 'config.json'))).toMatch(/is a file/);
    expect(await check('Qwen/Qwen2.5 1.5B')).toMatch(/neither a Hugging Face id/);
    expect(await check('a/b/c')).toMatch(/neither a Hugging Face id/);
    expect(await check('./relative/model')).toMatch(/relative path/);

    const before = (await call(env.studio, 'training/list', { characterId })).length;
    const refused = await callError(env.studio, 'training/start', {
      characterId,
      config: { ...config(), baseModel: empty },
    });
    expect(refused).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/no config\.json/) });
    expect(
      await callError(env.studio, 'training/estimate', { characterId, config: { ...config(), baseModel: empty } }),
    ).toMatchObject({ code: 'invalid_argument' });
    expect(
      await callError(env.studio, 'training/start', {
        characterId,
        config: { ...config(), python: 'venv/bin/python' },
      }),
    ).toMatchObject({ message: expect.stringMatching(/relative path: give its absolute path/) });
    expect((await call(env.studio, 'training/list', { characterId })).length).toBe(before);
  });
});

describe('a finished run', () => {
  it("keeps the trainer's warnings, and exports as its own state without running again", async () => {
    const run = await trained();
    expect(run.warnings.map((w) => w.code)).toContain('scenes_truncated');
    const truncated = run.warnings.find((w) => w.code === 'scenes_truncated')!;
    expect(truncated.message).toMatch(/longer than max_length=192 tokens and were cut/);
    expect(truncated.sceneIds.length).toBeGreaterThan(0);

    const exporting = record(run.id);
    await call(env.studio, 'training/export', { id: run.id, merged: true, gguf: false });
    const exported = await env.studio.training.whenIdle(run.id);
    exporting.stop();
    // Never "running" (no Stop, no Cancel of the run): the export has its own state beside it.
    expect(new Set(exporting.seen.map((r) => r.status))).toEqual(new Set(['succeeded']));
    expect(exporting.seen.some((r) => r.exporting?.phase === 'merging')).toBe(true);
    expect(exported).toMatchObject({ status: 'succeeded', exporting: null, message: null, phase: run.phase });
    expect(fs.existsSync(path.join(exported.outputs.merged!, 'config.json'))).toBe(true);
    expect(await callError(env.studio, 'training/export-cancel', { id: run.id })).toMatchObject({
      message: expect.stringMatching(/not exporting/),
    });

    // Cancelling an export ends it; the run stays finished and servable.
    const cancelling = record(run.id);
    const begun = new Promise<void>((resolve) =>
      env.studio.events.subscribe((name, payload) => {
        if (name === 'training/progressed' && (payload as TrainingRun).exporting) resolve();
      }),
    );
    await call(env.studio, 'training/export', { id: run.id, merged: true, gguf: false });
    await begun;
    expect(await callError(env.studio, 'training/stop', { id: run.id })).toMatchObject({
      message: expect.stringMatching(/exporting now; cancel the export/),
    });
    const cancelled = await call(env.studio, 'training/export-cancel', { id: run.id });
    cancelling.stop();
    expect(cancelled).toMatchObject({ status: 'succeeded', exporting: null });
    expect(cancelled.message).toMatch(/^Export cancelled.*The run and its adapter are unchanged\.$/);
    expect(cancelling.seen.some((r) => r.exporting?.cancelling)).toBe(true);
    expect(fs.existsSync(cancelled.outputs.adapter!)).toBe(true);
  }, 240_000);

  it('is served alone when asked to stop the others, and says which run is served', async () => {
    const [first, second] = [await trained(), await trained()];
    await call(env.studio, 'training/serve', { id: first.id });
    expect((await call(env.studio, 'training/served', {})).map((s) => [s.runId, s.characterName])).toEqual([
      [first.id, 'Ludwig van Beethoven'],
    ]);
    const both = await call(env.studio, 'training/serve', { id: second.id, others: 'stop' });
    expect(both.serving?.state).toBe('ready');
    expect((await call(env.studio, 'training/served', {})).map((s) => s.runId)).toEqual([second.id]);
    expect((await call(env.studio, 'training/get', { id: first.id })).serving).toBeNull();
    await call(env.studio, 'training/serve-stop', { id: second.id });
    expect(await call(env.studio, 'training/served', {})).toEqual([]);
  }, 240_000);
});
