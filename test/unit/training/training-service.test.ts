import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { CharacterId, Events, TrainingConfig, TrainingRun, TrainingServing } from '../../../common/contract';
import { parameterCount } from '../../../main/core/training/estimate';
import { repoRoot } from '../../support/paths';
import { call, callError, type makeStudio } from '../../support/studio';
import { tinyTrainingConfig, venvPython } from '../trainer/fixtures';
import { openTrainingBench } from './bench';

/**
 * The studio end to end from generated scenes to a trained adapter: the real pipeline fills the
 * dataset (through the fake LLM server), the real trainer trains a tiny random Llama on CPU.
 */
let bench: Awaited<ReturnType<typeof openTrainingBench>>;
let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
let model: string;
/** The run the first test trains (the tiny model's home-made BPE tokenizer), for the tests after it. */
let trained: TrainingRun | undefined;

function config(patch: Partial<TrainingConfig['hyperparameters']> = {}): TrainingConfig {
  return { ...tinyTrainingConfig(model, 'local', patch), python: venvPython };
}

beforeAll(async () => {
  bench = await openTrainingBench(12);
  ({ env, characterId, model } = bench);
}, 120_000);
afterAll(async () => {
  await bench?.close();
});

describe('training a character from its generated dataset', () => {
  it('reports the environment, estimates, trains to an adapter, and records the loss curve', async () => {
    const doctor = await call(env.studio, 'training/doctor', { python: venvPython });
    expect(doctor.ok, doctor.summary).toBe(true);
    expect(doctor.torch).toMatch(/^2\./);

    const estimate = await call(env.studio, 'training/estimate', { characterId, config: config() });
    expect(estimate.examples).toBe(13); // 12 scenes + 1 protective
    expect(estimate.steps).toBe(6);

    const started = await call(env.studio, 'training/start', { characterId, config: config() });
    expect(fs.readFileSync(path.join(started.runDir, 'dataset.jsonl'), 'utf8').trim().split('\n')).toHaveLength(13);
    const run = await env.studio.training.whenIdle(started.id);
    expect(run.status, run.message ?? '').toBe('succeeded');
    trained = run;
    expect(run.step).toBe(6);
    expect(run.points.filter((p) => p.loss !== null).length).toBeGreaterThanOrEqual(6);
    expect(run.paddingShare).not.toBeNull();
    expect(run.paddingShareFixed!).toBeGreaterThan(run.paddingShare!);
    // It trained on the CPU here; the peak resident set of a Python with torch is some hundreds of MB.
    expect(run.device).toBe('cpu');
    expect(run.peakMemoryBytes!).toBeGreaterThan(100 * 2 ** 20);
    expect(run.peakMemoryBytes!).toBeLessThan(16 * 2 ** 30);
    // The speed this run measured now times the next estimate of the same set-up.
    const next = await call(env.studio, 'training/estimate', { characterId, config: config() });
    expect(next.speedBasis).toMatch(/^measured: [\d,]+ tokens\/s in the run of /);
    expect(next.seconds).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(run.outputs.adapter!)).toBe(true);
    expect((await call(env.studio, 'training/list', { characterId })).map((r) => r.id)).toEqual([run.id]);

    await call(env.studio, 'training/export', { id: run.id, merged: true, gguf: false, ollamaName: 'beethoven' });
    const exported = await env.studio.training.whenIdle(run.id);
    expect(exported.status).toBe('succeeded');
    expect(exported.message).toBeNull();
    expect(fs.existsSync(path.join(exported.outputs.merged!, 'config.json'))).toBe(true);
    expect(fs.readFileSync(exported.outputs.modelfile!, 'utf8')).toMatch(/^FROM /m);

    // The converters ship with the studio (node-llama-cpp's llama.cpp source), but the tiny model's
    // home-made BPE tokenizer is one they refuse: GGUF export says why, and keeps the rest.
    await call(env.studio, 'training/export', { id: run.id, merged: false, gguf: true });
    const gguf = await env.studio.training.whenIdle(run.id);
    expect(gguf.status).toBe('succeeded');
    expect(gguf.message).toMatch(/llama\.cpp .*does not know this model's BPE pre-tokenizer/i);
    expect(gguf.outputs.adapter).toBe(run.outputs.adapter);

    // Served over the OpenAI protocol, the trained character answers the real openai client.
    const progressed: (TrainingServing | null | undefined)[] = [];
    const off = env.studio.events.subscribe((name, payload) => {
      if (name === 'training/progressed' && (payload as TrainingRun).id === run.id)
        progressed.push((payload as TrainingRun).serving);
    });
    const served = await call(env.studio, 'training/serve', { id: run.id });
    expect(served.serving).toMatchObject({
      state: 'ready',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1$/),
    });
    expect(progressed.some((s) => s?.state === 'starting')).toBe(true);
    // Serving twice is the same server.
    expect((await call(env.studio, 'training/serve', { id: run.id })).serving).toEqual(served.serving);
    const client = new OpenAI({ baseURL: served.serving!.url!, apiKey: 'unused' });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([served.serving!.model]);
    expect(served.serving!.model).toBe(`beethoven-${run.id.slice(0, 8)}`);
    const reply = await client.chat.completions.create({
      model: served.serving!.model!,
      messages: [{ role: 'user', content: 'What is a car?' }],
      max_tokens: 6,
    });
    expect(reply.choices[0]!.message.role).toBe('assistant');
    expect(reply.usage!.completion_tokens).toBeLessThanOrEqual(6);

    const stopped = await call(env.studio, 'training/serve-stop', { id: run.id });
    expect(stopped.serving).toBeNull();
    expect(stopped.status).toBe('succeeded');
    off();
    await expect(client.models.list({ maxRetries: 0 })).rejects.toThrow();

    // The Chat tab's served runtime: it starts the run's server itself (announced as loading),
    // records what produced each reply, and closing the studio's chat frees the model again.
    const statuses: string[] = [];
    const offStatus = env.studio.events.subscribe((name, payload) => {
      if (name === 'chat/status') statuses.push((payload as Events['chat/status']).state);
    });
    const view = await call(env.studio, 'chat/create', {
      characterId,
      target: { kind: 'run', runId: run.id },
      runtime: 'served',
      setting: { location: 'Vienna, 1809', status: 'An evening at home.' },
    });
    const said = await call(env.studio, 'chat/send', {
      conversationId: view.conversation.id,
      text: 'Who are you?',
      sampling: { maxTokens: 6 },
    });
    offStatus();
    expect(said, said.error ?? '').toMatchObject({
      state: 'complete',
      producer: { runtime: 'served', adapter: run.outputs.adapter, format: run.config.format, runId: run.id },
    });
    expect(statuses[0]).toBe('loading');
    expect((await call(env.studio, 'training/get', { id: run.id })).serving?.state).toBe('ready');
    // Continue with the trainer's serve: a reply stopped at its first words goes on in place.
    let written = '';
    const offStop = env.studio.events.subscribe((name, payload) => {
      const delta = payload as Events['chat/delta'];
      if (name !== 'chat/delta' || delta.conversationId !== view.conversation.id) return;
      written += delta.text ?? '';
      if (written.trim() !== '') void call(env.studio, 'chat/stop', { conversationId: view.conversation.id });
    });
    const interrupted = await call(env.studio, 'chat/send', {
      conversationId: view.conversation.id,
      text: 'Tell me more.',
      sampling: { maxTokens: 400, ignoreEos: true },
    });
    offStop();
    expect(interrupted, interrupted.error ?? '').toMatchObject({ state: 'cancelled' });
    const continued = await call(env.studio, 'chat/continue', {
      conversationId: view.conversation.id,
      messageId: interrupted.id,
      sampling: { maxTokens: 4, ignoreEos: true },
    });
    expect(continued, continued.error ?? '').toMatchObject({ id: interrupted.id, state: 'complete', finish: 'length' });
    expect(continued.text.startsWith(interrupted.text) && continued.text.length > interrupted.text.length).toBe(true);
    await env.studio.chat.shutdown();
    expect((await call(env.studio, 'training/get', { id: run.id })).serving ?? null).toBeNull();
    // Trains, exports and loads the model twice on a shared CPU: minutes.
  }, 480_000);

  it('refuses to convert the home-made BPE tokenizer for the embedded chat, saying what to do', async () => {
    // The run of the first test: llama.cpp does not know its tokenizer's pre-tokenizer.
    if (!trained) throw new Error('the first test trains the run this one converts');
    const { id } = trained;
    const refused = await callError(env.studio, 'training/prepare-chat', { id });
    expect(refused.code).toBe('unavailable');
    expect(refused.message).toMatch(/does not know this model's BPE pre-tokenizer/);
    expect(refused.message).toMatch(/SentencePiece tokenizer always is|serve runtime/);
    const after = await call(env.studio, 'training/get', { id });
    expect(after.status).toBe('succeeded');
    expect(after.exporting).toBeNull();
  }, 240_000);

  it('serves only finished runs, and says why', async () => {
    const error = await callError(env.studio, 'training/serve', { id: 'no-such-run' });
    expect(error.code).toBe('not_found');
  });

  it('refuses a missing interpreter and a character with nothing to train on, clearly', async () => {
    const bad = await call(env.studio, 'training/doctor', { python: path.join(repoRoot, 'no', 'python') });
    expect(bad.ok).toBe(false);
    expect(bad.summary).toMatch(/not found|setup-python/i);
    const empty = await call(env.studio, 'characters/create', {
      fullName: 'Nobody Yet',
      shortName: 'Nobody',
      era: '',
      notes: '',
    });
    const error = await callError(env.studio, 'training/start', { characterId: empty.id, config: config() });
    expect(error.message).toMatch(/Generate experiences|no scene|None of the/i);
  });

  it('reads model sizes from names for the memory estimate', () => {
    expect(parameterCount('Qwen/Qwen2.5-1.5B-Instruct')).toBe(1.5e9);
    expect(parameterCount('meta-llama/Llama-3.1-8B-Instruct')).toBe(8e9);
    expect(parameterCount('/models/my-finetune')).toBeNull();
  });
});

describe("the studio's managed Python environment", () => {
  it('reports a base interpreter that cannot create it, with what to do', async () => {
    const lines: string[] = [];
    const off = env.studio.events.subscribe((name, payload) => {
      if (name === 'training/setup-progressed') lines.push((payload as { line: string }).line);
    });
    const result = await call(env.studio, 'training/setup', { basePython: path.join(repoRoot, 'no', 'python3') });
    off();
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/not found|Install Python/i);
    expect(lines.at(-1)).toMatch(/^failed: /);
  });
});

describe('runs left unfinished by another process', () => {
  it('become interrupted when their process is gone, and stay untouched while it lives', () => {
    const insert = env.studio.db.prepare(
      `INSERT INTO training_runs (id, character_id, status, target, config, run_dir, created_at, updated_at, runner)
       VALUES (?, ?, 'running', 'local', ?, '/tmp/none', 0, 0, ?)`,
    );
    const conf = JSON.stringify(config());
    // A live process on this machine (this test's own parent) and one that cannot exist.
    insert.run('run-alive', characterId, conf, `${process.ppid}@${os.hostname()}`);
    insert.run('run-dead', characterId, conf, `4194303@${os.hostname()}`);
    env.studio.training.recover();
    const status = (id: string) =>
      env.studio.db.prepare('SELECT status FROM training_runs WHERE id = ?').pluck().get(id);
    expect(status('run-alive')).toBe('running');
    expect(status('run-dead')).toBe('interrupted');
    env.studio.db.prepare(`DELETE FROM training_runs WHERE id IN ('run-alive', 'run-dead')`).run();
  });
});
