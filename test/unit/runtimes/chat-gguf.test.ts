/**
 * A trained run made ready for the embedded chat runtime, all for real and offline: the tiny random
 * Llama trained by the real trainer, converted by llama.cpp's own converters unpacked from the git
 * bundle inside node-llama-cpp's npm package, loaded by node-llama-cpp.
 *
 * - A SentencePiece tokenizer converts. (A home-made byte-level BPE tokenizer, which llama.cpp does not
 *   know, is refused with a message saying why and what to do: test/unit/training/training-service.test.ts,
 *   on the run it trains anyway.)
 * - The adapter on the context changes the logits node-llama-cpp computes, and base + adapter (not
 *   merged) gives the same next-token distribution as the trainer's merged model within tolerance.
 * - An adapter of another model is refused before anything loads.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Llama, LlamaModel, Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatGgufFiles, RunId, TrainingConfig, TrainingRun } from '../../../common/contract';
import { nodeLlamaCpp } from '../../../main/core/llm/embedded-model';
import { openEmbeddedChat } from '../../../main/core/runtimes/embedded-chat';
import { checkAdapterFits } from '../../../main/core/runtimes/gguf-check';
import { runCliIn } from '../../support/cli';
import { call } from '../../support/studio';
import { TEST_THREADS, writeTinyGguf } from '../../support/tiny-gguf';
import { tinyTrainingConfig, venvPython } from '../trainer/fixtures';
import { openTrainingBench } from '../training/bench';

// Training, converting and exporting are Python processes of several seconds each; a loaded machine stretches them a lot.
const TIMEOUT = 600_000;
let bench: Awaited<ReturnType<typeof openTrainingBench>>;
let run: TrainingRun;
let files: ChatGgufFiles;
let llama: Llama;

function config(model: string): TrainingConfig {
  // A high learning rate so four steps move the adapter well away from zero (LoRA starts as a no-op);
  // 768 tokens: the tiny SentencePiece vocabulary spells the meta prompt alone in ~300.
  return {
    ...tinyTrainingConfig(model, 'local', { maxSteps: 4, learningRate: 2e-2, evalShare: 0, maxLength: 768 }),
    python: venvPython,
  };
}

async function trained(model: string): Promise<TrainingRun> {
  const started = await call(bench.env.studio, 'training/start', {
    characterId: bench.characterId,
    config: config(model),
  });
  const done = await bench.env.studio.training.whenIdle(started.id);
  expect(done.status, done.message ?? '').toBe('succeeded');
  return done;
}

/** Every `training/progressed` of one run while `work` runs. */
async function recording<T>(id: RunId, work: () => Promise<T>): Promise<{ result: T; seen: TrainingRun[] }> {
  const seen: TrainingRun[] = [];
  const stop = bench.env.studio.events.subscribe((name, payload) => {
    // Cloned: the in-process bus hands out the live export state, which changes after the event.
    if (name === 'training/progressed' && (payload as TrainingRun).id === id)
      seen.push(structuredClone(payload as TrainingRun));
  });
  try {
    return { result: await work(), seen };
  } finally {
    stop();
  }
}

/** The next-token distribution after `text` (temperature 1, no truncation), as token → probability. */
async function nextToken(model: LlamaModel, adapter: string | null, text: string): Promise<Map<Token, number>> {
  const context = await model.createContext({
    contextSize: 256,
    threads: TEST_THREADS,
    ...(adapter ? { lora: { adapters: [{ filePath: adapter }] } } : {}),
  });
  try {
    const tokens = [model.tokens.bos!, ...model.tokenize(text, false)];
    const sequence = context.getSequence();
    for await (const output of sequence.evaluateWithMetadata(
      tokens,
      { probabilities: true },
      { temperature: 1, topK: 0, topP: 1, minP: 0 },
    ))
      return output.probabilities;
    throw new Error('no token');
  } finally {
    await context.dispose();
  }
}

function maxDifference(a: Map<Token, number>, b: Map<Token, number>): number {
  let worst = 0;
  for (const token of new Set([...a.keys(), ...b.keys()]))
    worst = Math.max(worst, Math.abs((a.get(token) ?? 0) - (b.get(token) ?? 0)));
  return worst;
}

beforeAll(async () => {
  bench = await openTrainingBench(6, 'sentencepiece');
  run = await trained(bench.model);
  const nlc = await nodeLlamaCpp();
  llama = await nlc.getLlama({ gpu: false, build: 'never', logLevel: nlc.LlamaLogLevel.error });
}, TIMEOUT);
afterAll(async () => {
  await llama?.dispose();
  await bench?.close();
});

describe('a run converted for the embedded chat runtime', () => {
  it(
    'converts the base model and the adapter offline with the bundled converters, showing it on the run card',
    async () => {
      const { result, seen } = await recording(run.id, () =>
        call(bench.env.studio, 'training/prepare-chat', { id: run.id }),
      );
      files = result;
      expect(files.adapterGguf).toBe(join(run.runDir, 'exports', 'adapter.gguf'));
      expect(files.baseGguf.startsWith(join(bench.env.dir, 'gguf'))).toBe(true);
      expect(statSync(files.baseGguf).size).toBeGreaterThan(100_000);
      expect(files.format).toBe('chat');
      expect(files.character).toEqual({ fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' });
      expect(files.seconds).toBeGreaterThan(0);
      // The run card saw the conversion, each file in turn, and the run stayed finished throughout.
      const converting = seen.filter((r) => r.exporting?.phase === 'converting').map((r) => r.exporting!.target);
      expect(new Set(converting)).toEqual(new Set(['gguf_base', 'adapter_gguf']));
      expect(seen.every((r) => r.status === 'succeeded')).toBe(true);
      expect(seen.some((r) => r.exporting?.purpose === 'chat')).toBe(true);
      expect(seen.at(-1)!.exporting).toBeNull();
      // The converters came from node-llama-cpp's bundle, unpacked once into the data folder.
      expect(existsSync(join(bench.env.dir, 'cache', 'llama.cpp'))).toBe(true);

      // Cached: the second call converts nothing.
      const again = await call(bench.env.studio, 'training/prepare-chat', { id: run.id });
      expect(again).toEqual({ ...files, seconds: 0 });

      // The CLI face: `chat-gguf <character> --run <id>` names the same files.
      const json = await runCliIn(bench.env.dir, ['chat-gguf', 'Beethoven', '--run', run.id, '--json']);
      expect(json.code, json.err).toBe(0);
      expect(JSON.parse(json.out)).toEqual({ ...files, seconds: 0 });
      const human = await runCliIn(bench.env.dir, ['chat-gguf', 'Beethoven']);
      expect(human.err).toMatch(/Already converted\./);
      expect(human.out).toBe(`base model: ${files.baseGguf}\nadapter: ${files.adapterGguf}\nformat: chat`);
    },
    TIMEOUT,
  );

  it(
    "chats with the run through the studio's embedded runtime: the reply is stored with the GGUF base and adapter that wrote it",
    async () => {
      const statuses: string[] = [];
      const stop = bench.env.studio.events.subscribe((name, payload) => {
        if (name === 'chat/status') statuses.push(JSON.stringify(payload));
      });
      try {
        const conversation = await call(bench.env.studio, 'chat/create', {
          characterId: bench.characterId,
          target: { kind: 'run', runId: run.id },
          runtime: 'embedded',
          setting: { location: 'Vienna, 1809', status: 'Beethoven is at the piano.' },
        });
        const reply = await call(bench.env.studio, 'chat/send', {
          conversationId: conversation.conversation.id,
          text: 'What are you writing?',
          sampling: { maxTokens: 12, temperature: 0 },
        });
        expect(reply.role).toBe('character');
        expect(['complete', 'cut']).toContain(reply.state);
        expect(reply.error).toBeNull();
        expect(reply.producer).toMatchObject({
          runtime: 'embedded',
          model: files.baseGguf,
          adapter: files.adapterGguf,
          format: 'chat',
          runId: run.id,
        });
        // The user was told while the model loaded (the files were converted by the test before).
        expect(statuses.some((s) => s.includes('loading'))).toBe(true);
      } finally {
        stop();
      }
    },
    TIMEOUT,
  );

  it(
    'applies the adapter on the context: it changes the logits, and matches the merged model',
    async () => {
      const exported = await bench.env.studio.training.export(run.id, { merged: true, gguf: true });
      const done = await bench.env.studio.training.whenIdle(exported.id);
      expect(done.message).toBeNull();
      const merged = done.outputs.gguf!;
      expect(merged).toBe(join(run.runDir, 'exports', 'model.gguf'));

      const text = 'Beethoven (speaking): Good morning, I have brought the';
      const base = await llama.loadModel({ modelPath: files.baseGguf, gpuLayers: 0 });
      const mergedModel = await llama.loadModel({ modelPath: merged, gpuLayers: 0 });
      try {
        const plain = await nextToken(base, null, text);
        const adapted = await nextToken(base, files.adapterGguf, text);
        const fused = await nextToken(mergedModel, null, text);
        // f16 weights on both sides; the merged model rounds W + BA once, the context adds BA in f32.
        expect(maxDifference(adapted, fused)).toBeLessThan(2e-3);
        expect(maxDifference(plain, adapted)).toBeGreaterThan(10 * maxDifference(adapted, fused));
      } finally {
        await base.dispose();
        await mergedModel.dispose();
      }
    },
    TIMEOUT,
  );

  it(
    'chats with base + adapter, and refuses an adapter of another model before loading',
    async () => {
      const chat = openEmbeddedChat(chatOptions());
      try {
        const reply = await chat.reply({
          messages: [{ role: 'user', content: 'Tell me about your symphony.' }],
          sampling: { temperature: 0, topP: 1, maxTokens: 8 },
          signal: new AbortController().signal,
          onDelta: () => {},
        });
        expect(reply.completionTokens).toBeGreaterThan(0);
        expect(chat.identity).toMatchObject({ kind: 'embedded', adapter: files.adapterGguf, format: 'chat' });
      } finally {
        await chat.dispose();
      }

      const other = writeTinyGguf(join(bench.modelsDir, 'other.gguf'), { nEmbd: 32, nHead: 4, nHeadKv: 2, nFf: 64 });
      await expect(checkAdapterFits(other, files.adapterGguf!)).rejects.toThrow(
        /does not fit the base model other\.gguf: blk\.\d+\.\w+\.weight is .* in the base model, but the adapter's/,
      );
      await expect(checkAdapterFits(files.adapterGguf!, files.adapterGguf!)).rejects.toThrow(
        /changes .* which the base model/,
      );
      await expect(checkAdapterFits(files.baseGguf, files.baseGguf)).rejects.toThrow(/is not a LoRA adapter GGUF/);
      const wrong = openEmbeddedChat({ ...chatOptions(), baseGguf: other });
      const statuses: string[] = [];
      await expect(
        wrong.reply({
          messages: [{ role: 'user', content: 'Hello' }],
          sampling: { temperature: 0, topP: 1, maxTokens: 4 },
          signal: new AbortController().signal,
          onDelta: () => {},
          onStatus: (s) => statuses.push(s.state),
        }),
      ).rejects.toThrow(/does not fit the base model/);
      expect(statuses).not.toContain('generating');
      expect(wrong.loaded).toBe(false);
      await wrong.dispose();
    },
    TIMEOUT,
  );
});

function chatOptions() {
  return {
    baseGguf: files.baseGguf,
    adapterGguf: files.adapterGguf,
    format: files.format,
    character: files.character,
    threads: TEST_THREADS,
    contextSize: 512,
    gpuLayers: 0 as const,
    llama,
  };
}
