// The embedded chat runtime on the tiny random GGUF (test/support/tiny-gguf.ts, CPU): time to first
// token and decode speed at threads 1 and 2, against node-llama-cpp's own bare evaluation loop on the
// same model, prompt and token count (the runtime's overhead: prompt rendering, stop strings, the
// header router, streaming; goal under 5 % of decode time); and the time to convert a trained run to
// GGUF for chat (the trainer's export with the converters unpacked from node-llama-cpp's bundle).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Token } from 'node-llama-cpp';
import { nodeLlamaCpp } from '../../main/core/llm/embedded-provider';
import { settingMessage, type ChatRuntimeMessage } from '../../main/core/runtimes/chat-runtime';
import { openEmbeddedChat } from '../../main/core/runtimes/embedded-chat';
import { unpackLlamaCppConverters } from '../../main/core/runtimes/llama-cpp-source';
import { characterLlmPrompt } from '../../main/core/runtimes/paper-prompt';
import { writeTinyGguf } from '../support/tiny-gguf';
import { tinyJob } from '../unit/trainer/fixtures';

const TOKENS = 128;
const ROUNDS = 5;
const character = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' };
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

function conversation(i: number): ChatRuntimeMessage[] {
  return [
    settingMessage({ location: 'Vienna, 1809', status: 'The city is shelled; Beethoven hides in a cellar.' }),
    { role: 'user', content: `Question number ${i}: are you afraid of the guns?` },
  ];
}

interface Timing {
  firstTokenMs: number;
  /** Decode time per token after the first, ms. */
  perTokenMs: number;
  tokens: number;
}

async function runtimeTiming(chat: ReturnType<typeof openEmbeddedChat>, i: number): Promise<Timing> {
  const started = performance.now();
  let first = 0;
  const reply = await chat.reply({
    messages: conversation(i),
    sampling: { temperature: 0, topP: 1, maxTokens: TOKENS },
    signal: new AbortController().signal,
    onDelta: () => {
      if (first === 0) first = performance.now();
    },
  });
  const ended = performance.now();
  const tokens = reply.completionTokens ?? 0;
  return { firstTokenMs: first - started, perTokenMs: (ended - first) / Math.max(1, tokens - 1), tokens };
}

async function measureThreads(modelPath: string, threads: number): Promise<object> {
  const nlc = await nodeLlamaCpp();
  const llama = await nlc.getLlama({ gpu: false, build: 'never', logLevel: nlc.LlamaLogLevel.error });
  const chat = openEmbeddedChat({
    baseGguf: modelPath,
    adapterGguf: null,
    format: 'character-llm',
    character,
    threads,
    contextSize: 1024,
    gpuLayers: 0,
    llama,
  });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 1024, threads, sequences: 1 });
  const sequence = context.getSequence();
  try {
    await runtimeTiming(chat, -1); // loads the model, warms caches
    const runtime: Timing[] = [];
    const bare: Timing[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const timing = await runtimeTiming(chat, i);
      runtime.push(timing);
      // node-llama-cpp alone: the same prompt's tokens, greedy, the same number of tokens, nothing else.
      const bos = model.tokens.bos;
      const prompt: Token[] = [
        ...(bos === null ? [] : [bos]),
        ...model.tokenize(characterLlmPrompt(conversation(i), character), false),
      ];
      await sequence.clearHistory();
      const started = performance.now();
      let first = 0;
      let count = 0;
      for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
        void token;
        if (++count === 1) first = performance.now();
        if (count >= timing.tokens) break;
      }
      const ended = performance.now();
      bare.push({ firstTokenMs: first - started, perTokenMs: (ended - first) / Math.max(1, count - 1), tokens: count });
    }
    const runtimePerToken = median(runtime.map((t) => t.perTokenMs));
    const barePerToken = median(bare.map((t) => t.perTokenMs));
    return {
      threads,
      tokens: median(runtime.map((t) => t.tokens)),
      runtime: {
        firstTokenMs: round(median(runtime.map((t) => t.firstTokenMs))),
        tokensPerSecond: round(1000 / runtimePerToken),
      },
      bare: {
        firstTokenMs: round(median(bare.map((t) => t.firstTokenMs))),
        tokensPerSecond: round(1000 / barePerToken),
      },
      decodeOverheadPercent: round(((runtimePerToken - barePerToken) / barePerToken) * 100, 2),
    };
  } finally {
    await chat.dispose();
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

/** Trains the tiny SentencePiece Llama for one step, then times `export` as training/prepare-chat runs it. */
function conversion(root: string, work: string, llamaCppDir: string): object {
  const python = path.join(root, '.venv', 'bin', 'python');
  const env = {
    ...process.env,
    PYTHONPATH: path.join(root, 'resources', 'trainer'),
    HF_HUB_OFFLINE: '1',
    OMP_NUM_THREADS: '1',
  };
  const model = path.join(work, 'tiny');
  execFileSync(python, [path.join(root, 'test', 'support', 'tiny-model.py'), model, '--tokenizer', 'sentencepiece'], {
    env,
    stdio: 'ignore',
  });
  const scene = {
    id: 's1',
    character: { full_name: character.fullName, short_name: character.shortName },
    location: 'Bonn',
    background: 'A lesson.',
    turns: [
      { speaker: 'Neefe', kind: 'speaking', text: 'Play the variations.' },
      { speaker: 'Beethoven', kind: 'speaking', text: 'Then listen closely.' },
    ],
    protective: false,
  };
  const dataset = path.join(work, 'scenes.jsonl');
  fs.writeFileSync(dataset, `${JSON.stringify(scene)}\n${JSON.stringify({ ...scene, id: 's2' })}\n`);
  const job = (extra: object) => {
    const file = path.join(work, 'job.json');
    const body = { ...tinyJob(path.join(work, 'run'), model, dataset, { max_steps: 1, max_length: 512 }), ...extra };
    fs.writeFileSync(file, JSON.stringify(body));
    return file;
  };
  execFileSync(python, ['-m', 'character_trainer', 'train', '--job', job({})], { env, stdio: 'ignore' });
  const exportJob = job({
    export: {
      merged: false,
      gguf: false,
      gguf_adapter: true,
      gguf_outtype: 'f16',
      gguf_base: path.join(work, 'base.gguf'),
      llama_cpp_dir: llamaCppDir,
    },
  });
  const started = performance.now();
  execFileSync(python, ['-m', 'character_trainer', 'export', '--job', exportJob], { env, stdio: 'ignore' });
  const firstMs = performance.now() - started;
  fs.rmSync(path.join(work, 'run', 'exports', 'adapter.gguf'));
  const again = performance.now();
  execFileSync(python, ['-m', 'character_trainer', 'export', '--job', exportJob], { env, stdio: 'ignore' });
  return {
    model: 'tiny SentencePiece Llama (2 layers, 64 wide), LoRA rank 4',
    baseAndAdapterMs: Math.round(firstMs),
    adapterOnlyMs: Math.round(performance.now() - again), // another run of the same base model
    baseGgufBytes: fs.statSync(path.join(work, 'base.gguf')).size,
  };
}

export async function run(): Promise<object> {
  const root = path.resolve(path.dirname(process.argv[1] ?? '.'), '..', '..');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-chat-'));
  try {
    const model = writeTinyGguf(path.join(work, 'tiny.gguf'), { seed: 3 });
    const unpackStarted = performance.now();
    const converters = await unpackLlamaCppConverters(path.join(work, 'llama.cpp'));
    const unpackMs = Math.round(performance.now() - unpackStarted);
    process.stderr.write('  converting a tiny trained run…\n');
    const converted = conversion(root, work, converters.root);
    process.stderr.write('  threads 1…\n');
    const threads1 = await measureThreads(model, 1);
    process.stderr.write('  threads 2…\n');
    const threads2 = await measureThreads(model, 2);
    return {
      model: `tiny random GGUF, ${fs.statSync(model).size} bytes, CPU`,
      load: `${os.loadavg()[0]!.toFixed(1)} (1-minute load average at the start, ${os.cpus().length} CPUs)`,
      threads1,
      threads2,
      unpackConvertersMs: unpackMs,
      conversion: converted,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
