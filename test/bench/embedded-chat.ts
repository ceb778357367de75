// The embedded chat runtime on the tiny random GGUF (test/support/tiny-gguf.ts, CPU): its overhead
// against node-llama-cpp's own bare evaluation loop on the same model, at threads 1 and 2 (goal under
// 5 %), its time to first streamed text and decode speed; and the time to convert a trained run to
// GGUF for chat (the trainer's export with the converters unpacked from node-llama-cpp's bundle).
//
// The comparison is made fair so a loaded 2-core machine cannot tilt it: both sides get the same
// prompt tokens, the same greedy sampling and exactly the same number of generated tokens (the tiny
// model never stops on its own), from the same KV cache state (the bare loop keeps the prefix it
// shares with the previous prompt, as the runtime does); each is timed whole, from the call to the
// last token; the pairs are interleaved, alternating which side goes first, after warm-up rounds;
// and the overhead is the median of the per-pair ratios, with its quartiles and extremes.
// The overhead is taken on CPU time (the process's, every thread: llama.cpp's included), which a
// machine loaded beyond its cores barely moves, and also given on wall time; a control pair, the
// bare loop against itself on a second context, shows how much of a difference is noise.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { nodeLlamaCpp } from '../../main/core/llm/embedded-model';
import { settingMessage, type ChatRuntimeMessage } from '../../main/core/runtimes/chat-runtime';
import { openEmbeddedChat } from '../../main/core/runtimes/embedded-chat';
import { unpackLlamaCppConverters } from '../../main/core/runtimes/llama-cpp-source';
import { characterLlmPrompt } from '../../main/core/runtimes/paper-prompt';
import { writeTinyGguf } from '../support/tiny-gguf';
import { tinyJob } from '../unit/trainer/fixtures';

const TOKENS = 128;
/**
 * Thread counts measured, BENCH_CHAT_THREADS="1,2" by default. On a machine loaded beyond its cores,
 * two llama.cpp threads spin-wait for each other and run 10–30 times slower (TEST_THREADS): measure
 * 1 alone there.
 */
const THREADS = (process.env['BENCH_CHAT_THREADS'] ?? '1,2').split(',').map(Number);
const WARM_UP = 3;
const PAIRS = 41;
const character = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' };
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** The value at quantile `q` (0..1) of `values`, nearest rank. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
}

/** Median with its spread: quartiles and extremes. */
function spread(values: number[], digits = 2): { median: number; p25: number; p75: number; min: number; max: number } {
  return {
    median: round(quantile(values, 0.5), digits),
    p25: round(quantile(values, 0.25), digits),
    p75: round(quantile(values, 0.75), digits),
    min: round(Math.min(...values), digits),
    max: round(Math.max(...values), digits),
  };
}

function conversation(i: number): ChatRuntimeMessage[] {
  return [
    settingMessage({ location: 'Vienna, 1809', status: 'The city is shelled; Beethoven hides in a cellar.' }),
    { role: 'user', content: `Question number ${i}: are you afraid of the guns?` },
  ];
}

/** Greedy, as the paper's prompts would be compared: the same on both sides. */
const SAMPLING = { temperature: 0, topP: 1, maxTokens: TOKENS };

/** CPU time of this process so far, every thread, ms. */
function cpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

interface Timing {
  totalMs: number;
  cpuMs: number;
  /** Runtime: to the first streamed text (held until the turn's header is known); bare: to the first token. */
  firstMs: number;
  tokens: number;
}

async function runtimeTiming(chat: ReturnType<typeof openEmbeddedChat>, i: number): Promise<Timing> {
  const started = performance.now();
  const cpu = cpuMs();
  let first = 0;
  const reply = await chat.reply({
    messages: conversation(i),
    sampling: SAMPLING,
    signal: new AbortController().signal,
    onDelta: () => {
      if (first === 0) first = performance.now();
    },
  });
  return {
    totalMs: performance.now() - started,
    cpuMs: cpuMs() - cpu,
    firstMs: first - started,
    tokens: reply.completionTokens ?? 0,
  };
}

/**
 * node-llama-cpp alone: the prompt's tokens as the runtime renders them (BOS + raw text), the KV
 * cache of the prefix shared with the previous prompt kept (as the runtime keeps it), then its
 * evaluation loop for exactly `tokens` tokens with the same sampling, and nothing else.
 */
async function bareTiming(
  model: LlamaModel,
  sequence: LlamaContextSequence,
  i: number,
  tokens: number,
): Promise<Timing> {
  const started = performance.now();
  const cpu = cpuMs();
  const bos = model.tokens.bos;
  const prompt: Token[] = [
    ...(bos === null ? [] : [bos]),
    ...model.tokenize(characterLlmPrompt(conversation(i), character), false),
  ];
  const held = sequence.contextTokens;
  let common = 0;
  while (common < held.length && common < prompt.length - 1 && held[common] === prompt[common]) common++;
  if (common === 0) await sequence.clearHistory();
  else await sequence.eraseContextTokenRanges([{ start: common, end: sequence.nextTokenIndex }]);
  let first = 0;
  let count = 0;
  for await (const token of sequence.evaluate(prompt.slice(common), {
    temperature: SAMPLING.temperature,
    topP: SAMPLING.topP,
    yieldEogToken: true,
  })) {
    void token;
    if (++count === 1) first = performance.now();
    if (count >= tokens) break;
  }
  return { totalMs: performance.now() - started, cpuMs: cpuMs() - cpu, firstMs: first - started, tokens: count };
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
  const bareSide = async () => {
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: 1024, threads, sequences: 1 });
    return { model, context, sequence: context.getSequence() };
  };
  const one = await bareSide();
  const two = await bareSide(); // the control: the bare loop against itself
  try {
    for (let i = 0; i < WARM_UP; i++) {
      await runtimeTiming(chat, -1 - i); // the first loads the model
      await bareTiming(one.model, one.sequence, -1 - i, TOKENS);
      await bareTiming(two.model, two.sequence, -1 - i, TOKENS);
    }
    const runtime: Timing[] = [];
    const bare: Timing[] = [];
    const control: Timing[] = [];
    for (let i = 0; i < PAIRS; i++) {
      // Alternating which side goes first cancels a load that rises or falls during a pair.
      const sides = [
        async () => runtime.push(await runtimeTiming(chat, i)),
        async () => bare.push(await bareTiming(one.model, one.sequence, i, TOKENS)),
        async () => control.push(await bareTiming(two.model, two.sequence, i, TOKENS)),
      ];
      for (const side of i % 2 === 0 ? sides : sides.reverse()) await side();
      if (runtime[i]!.tokens !== TOKENS || bare[i]!.tokens !== TOKENS)
        throw new Error(
          `unequal work: runtime ${runtime[i]!.tokens} tokens, bare ${bare[i]!.tokens}, wanted ${TOKENS}`,
        );
    }
    const percent = (a: Timing[], b: Timing[], key: 'cpuMs' | 'totalMs') =>
      a.map((t, i) => ((t[key] - b[i]![key]) / b[i]![key]) * 100);
    const tokensPerSecond = (t: Timing) => (TOKENS / t.totalMs) * 1000;
    return {
      threads,
      tokens: TOKENS,
      pairs: PAIRS,
      overheadPercent: {
        cpu: spread(percent(runtime, bare, 'cpuMs')),
        wall: spread(percent(runtime, bare, 'totalMs')),
        controlCpu: spread(percent(control, bare, 'cpuMs')),
        controlWall: spread(percent(control, bare, 'totalMs')),
      },
      runtime: {
        firstTextMs: spread(
          runtime.map((t) => t.firstMs),
          1,
        ),
        tokensPerSecond: spread(runtime.map(tokensPerSecond), 1),
      },
      bare: {
        firstTokenMs: spread(
          bare.map((t) => t.firstMs),
          1,
        ),
        tokensPerSecond: spread(bare.map(tokensPerSecond), 1),
      },
    };
  } finally {
    await chat.dispose();
    for (const side of [one, two]) {
      await side.context.dispose();
      await side.model.dispose();
    }
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
    const converted =
      process.env['BENCH_CHAT_CONVERSION'] === '0' ? 'skipped' : conversion(root, work, converters.root);
    const load = `${os.loadavg()[0]!.toFixed(1)} (1-minute load average at the start, ${os.cpus().length} CPUs)`;
    const byThreads: Record<string, object> = {};
    for (const threads of THREADS) {
      process.stderr.write(`  threads ${threads}…\n`);
      byThreads[`threads${threads}`] = await measureThreads(model, threads);
      process.stderr.write(`  ${JSON.stringify(byThreads[`threads${threads}`])}\n`);
    }
    return {
      model: `tiny random GGUF, ${fs.statSync(model).size} bytes, CPU`,
      load,
      ...byThreads,
      unpackConvertersMs: unpackMs,
      conversion: converted,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
