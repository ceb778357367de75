import fs from 'node:fs';
import path from 'node:path';
import type { TrainerEnvironment, TrainingConfig, TrainingEstimate } from '../../../common/contract';

/**
 * The numbers shown before a run starts: steps, memory per GPU and a rough time. Pure functions of
 * the data, the config, the target's GPUs and the speeds earlier runs measured; no I/O but reading a
 * local model's config.json.
 */

/** What the estimate knows about the scenes it would train on. */
export interface EstimateData {
  examples: number;
  /** Rough tokens per example. */
  meanTokens: number;
}

/** A speed an earlier run measured, with what it depended on. */
export interface MeasuredSpeed {
  config: TrainingConfig;
  tokensPerSecond: number;
  /** Unix ms when it was measured. */
  at: number;
}

/** Dense bf16/fp16 tensor throughput, TFLOPS, from the vendors' data sheets; matched by name. */
const GPU_TFLOPS: readonly [RegExp, number][] = [
  [/\b(H200|GH200)\b/i, 989],
  [/\bH100\b.*\bPCIe\b/i, 756],
  [/\bH100\b/i, 989],
  [/\bH800\b/i, 989],
  [/\bB200\b/i, 2250],
  [/\bA100\b/i, 312],
  [/\bA800\b/i, 312],
  [/\bL40S\b/i, 362],
  [/\bL40\b/i, 181],
  [/\bL4\b/i, 121],
  [/\bA10G?\b/i, 125],
  [/\bA40\b/i, 150],
  [/\bA6000\b/i, 155],
  [/\bRTX 6000 Ada\b/i, 364],
  [/\bV100\b/i, 125],
  [/\bT4\b/i, 65],
  [/\b5090\b/i, 209],
  [/\b4090\b/i, 165],
  [/\b4080\b/i, 97],
  [/\b3090\b/i, 71],
  [/\b3080\b/i, 60],
];
/** Share of peak throughput a small-batch fine-tune reaches in practice. */
const UTILISATION = 0.3;
/** A CPU trains only toy models; this is about what a desktop CPU sustains in fp32. */
const CPU_TFLOPS = 0.3;

export function gpuTflops(name: string): number | null {
  return GPU_TFLOPS.find(([pattern]) => pattern.test(name))?.[1] ?? null;
}

/** What the memory estimate needs to know of a decoder. */
export interface ModelShape {
  params: number;
  hidden: number;
  layers: number;
  vocab: number;
  /** Hidden width of the MLP. */
  ff: number;
}

/** A model's parameter count from its name ("…-1.5B-…", "…_350m") or, for a local folder, its config.json. */
export function parameterCount(model: string): number | null {
  return modelShape(model)?.params ?? null;
}

/**
 * The model's shape: exact from a local folder's config.json; from a size in its name otherwise,
 * with the proportions of today's Llama-style models (about 12·layers·hidden² parameters, a hundred
 * hidden units a layer) and a large vocabulary, so the guess errs on the side of more memory.
 */
export function modelShape(model: string): ModelShape | null {
  const fromConfig = shapeFromConfig(model);
  if (fromConfig !== null) return fromConfig;
  const match = /(?:^|[-_/ .])(\d+(?:\.\d+)?)\s*([bm])(?:$|[-_/ .])/i.exec(model);
  if (!match) return null;
  const params = Number(match[1]) * (match[2]!.toLowerCase() === 'b' ? 1e9 : 1e6);
  const hidden = Math.cbrt(params / 0.12);
  return { params, hidden, layers: Math.max(1, Math.round(hidden / 100)), vocab: 100_000, ff: 2.7 * hidden };
}

interface DecoderConfig {
  hidden_size?: number;
  intermediate_size?: number;
  num_hidden_layers?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number;
  vocab_size?: number;
  tie_word_embeddings?: boolean;
}

/** The shape of a Llama-style decoder from a local folder's config.json; null when not one. */
function shapeFromConfig(model: string): ModelShape | null {
  if (!path.isAbsolute(model) && !model.startsWith('.') && !model.startsWith('~')) return null;
  let config: DecoderConfig;
  try {
    config = JSON.parse(fs.readFileSync(path.join(model, 'config.json'), 'utf8')) as DecoderConfig;
  } catch {
    return null;
  }
  const d = config.hidden_size;
  const layers = config.num_hidden_layers;
  const vocab = config.vocab_size;
  if (!d || !layers || !vocab) return null;
  const heads = config.num_attention_heads ?? 1;
  const kvShare = (config.num_key_value_heads ?? heads) / heads;
  const ff = config.intermediate_size ?? 4 * d;
  // q and o are d×d, k and v shrink with grouped-query attention; the MLP has three d×ff matrices.
  const perLayer = d * d * (2 + 2 * kvShare) + 3 * d * ff + 2 * d;
  const embeddings = vocab * d * (config.tie_word_embeddings ? 1 : 2);
  return { params: layers * perLayer + embeddings, hidden: d, layers, vocab, ff };
}

/** Training FLOPs per token: forward 2P, backward 2P for activations (+2P for weight gradients when all train). */
function flopsPerToken(params: number, h: TrainingConfig['hyperparameters']): number {
  const backward = h.fullFinetune ? 4 : 2;
  const recompute = h.gradientCheckpointing ? 2 : 0;
  return (2 + backward + recompute) * params;
}

/** CUDA context, allocator slack and kernels' workspace, GiB. */
const OVERHEAD_GIB = 0.4;

/** GiB per GPU: weights, what training adds to them, and the activations of one micro-batch. */
function memoryGiB(shape: ModelShape, meanTokens: number, h: TrainingConfig['hyperparameters'], gpus: number): number {
  const { params, hidden, layers, vocab, ff } = shape;
  const sharded = h.fullFinetune && h.sharding !== 'ddp' && gpus > 1 ? gpus : 1;
  let bytes: number;
  if (h.fullFinetune) {
    // fp32 master weights, gradients and two AdamW moments (16 bytes a parameter), sharded by FSDP.
    bytes = (params * 16) / sharded;
  } else {
    // Frozen weights in 16 bits (QLoRA: NF4 with its scales, about 4.5 bits), plus the adapters on every
    // linear layer with their fp32 weights, gradients and AdamW moments.
    const frozen = params * (h.loadIn4bit ? 0.56 : h.dtype === 'fp32' ? 4 : 2);
    const adapters = h.loraRank * layers * (8 * hidden + 3 * (hidden + ff));
    bytes = frozen + adapters * 16;
  }
  // Activations kept for the backward pass (Korthikanti et al. 2022: about 34·hidden bytes a token a
  // layer in 16 bits); checkpointing keeps only each layer's input and recomputes one layer at a time.
  // The logits of the whole micro-batch, upcast to fp32 for the loss, come on top.
  const tokens = h.batchSize * Math.min(meanTokens || h.maxLength, h.maxLength);
  const width = h.dtype === 'fp32' ? 2 : 1;
  const perToken = h.gradientCheckpointing ? (layers * 2 + 34) * hidden : layers * 34 * hidden;
  bytes += tokens * (perToken * width + vocab * 6);
  return bytes / 2 ** 30 + OVERHEAD_GIB;
}

function sameSetup(a: TrainingConfig, b: TrainingConfig): boolean {
  const x = a.hyperparameters;
  const y = b.hyperparameters;
  return (
    a.baseModel === b.baseModel &&
    a.target === b.target &&
    x.fullFinetune === y.fullFinetune &&
    Boolean(x.loadIn4bit) === Boolean(y.loadIn4bit) &&
    Boolean(x.gradientCheckpointing) === Boolean(y.gradientCheckpointing)
  );
}

const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });

/**
 * Steps, memory, tokens and time. The speed comes first from an earlier run of the same base model,
 * machine and method, else from the GPUs' data sheet, else from the CPU; `seconds` is null when the
 * model's size is unknown and nothing was measured.
 */
export function estimateTraining(
  data: EstimateData,
  config: TrainingConfig,
  environment: TrainerEnvironment | null,
  gpuCount: number,
  measured: readonly MeasuredSpeed[],
): TrainingEstimate {
  const h = config.hyperparameters;
  const warnings: string[] = [];
  const trainExamples = Math.max(0, Math.round(data.examples * (1 - h.evalShare)));
  const gpus = environment?.gpus.length ? Math.min(gpuCount, environment.gpus.length) : gpuCount;
  const perStep = h.batchSize * h.gradAccumulation * Math.max(1, gpus);
  const stepsPerEpoch = Math.ceil(trainExamples / perStep);
  const fullSteps = Math.ceil(stepsPerEpoch * h.epochs);
  const steps = h.maxSteps === null ? fullSteps : Math.min(h.maxSteps, fullSteps);
  const tokensPerExample = Math.min(data.meanTokens, h.maxLength);
  const tokens = Math.round(
    h.maxSteps !== null && h.maxSteps < fullSteps
      ? steps * perStep * tokensPerExample
      : trainExamples * h.epochs * tokensPerExample,
  );

  if (data.examples === 0)
    warnings.push('There are no scenes with experiences yet: generate some on the Generate tab first.');
  else if (data.examples < 200)
    warnings.push(`Only ${data.examples} scenes: the paper used 1,400–2,200 per character. Expect a weak imitation.`);
  if (data.meanTokens > h.maxLength)
    warnings.push(
      `Scenes average ${data.meanTokens} tokens, more than the maximum length ${h.maxLength}: long ones will be cut.`,
    );

  const shape = modelShape(config.baseModel);
  const params = shape?.params ?? null;
  const memory = shape === null ? 0 : Math.round(memoryGiB(shape, data.meanTokens, h, gpus) * 10) / 10;
  if (params === null)
    warnings.push(
      'The base model size is unknown, so no memory estimate: it is read from the model when training starts.',
    );
  const smallest = environment?.gpus.length ? Math.min(...environment.gpus.map((g) => g.memoryGiB)) : null;
  if (smallest !== null && memory > smallest * 0.95) {
    const ideas = h.fullFinetune
      ? 'train LoRA instead, add GPUs, or pick a smaller base model'
      : h.loadIn4bit
        ? 'lower the batch size or max length, or pick a smaller base model'
        : 'use QLoRA (4-bit), turn on gradient checkpointing, lower the batch size, or pick a smaller base model';
    warnings.push(`About ${memory} GiB per GPU is needed but the GPU has ${smallest} GiB: ${ideas}.`);
  }
  if (h.loadIn4bit && environment && !environment.cuda)
    warnings.push('QLoRA (4-bit) needs a CUDA GPU with the bitsandbytes package; this machine has no CUDA GPU.');

  const earlier = [...measured].sort((a, b) => b.at - a.at).find((m) => sameSetup(m.config, config));
  let seconds: number | null = null;
  let speedBasis: string | null = null;
  if (earlier) {
    seconds = tokens / earlier.tokensPerSecond;
    speedBasis = `measured: ${Math.round(earlier.tokensPerSecond).toLocaleString('en-US')} tokens/s in the run of ${DATE.format(earlier.at)}`;
  } else if (params !== null && environment) {
    const named = environment.gpus.map((g) => ({ name: g.name, tflops: gpuTflops(g.name) }));
    const known = named.filter((g): g is { name: string; tflops: number } => g.tflops !== null).slice(0, gpus);
    if (environment.gpus.length === 0) {
      seconds = (tokens * flopsPerToken(params, h)) / (CPU_TFLOPS * 1e12);
      speedBasis = 'CPU only: a rough guess; a GPU is hundreds of times faster';
    } else if (known.length > 0) {
      const total = known.reduce((sum, g) => sum + g.tflops, 0) * UTILISATION * 1e12;
      seconds = (tokens * flopsPerToken(params, h)) / total;
      speedBasis = `${known.length > 1 ? `${known.length} × ` : ''}${known[0]!.name} data sheet, at ${UTILISATION * 100}% use`;
    }
  }
  if (seconds !== null) seconds = Math.max(1, Math.round(seconds));
  return {
    examples: data.examples,
    meanTokens: data.meanTokens,
    steps,
    memoryGiB: memory,
    tokens,
    seconds,
    speedBasis,
    warnings,
  };
}
