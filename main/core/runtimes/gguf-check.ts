/**
 * What the embedded chat runtime checks in GGUF headers before it loads anything: whether a LoRA
 * adapter fits the base model (same architecture, every adapted tensor present with the adapter's
 * sizes), and how much memory a base model with its adapter and context will take. Only headers are
 * read (milliseconds, no weights), through node-llama-cpp's GGUF reader.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { GgufFileInfo, GgufTensorInfo } from 'node-llama-cpp';
import { StudioFailure } from '../errors';
import { nodeLlamaCpp } from '../llm/embedded-model';

async function header(file: string): Promise<GgufFileInfo> {
  const { readGgufFileInfo } = await nodeLlamaCpp();
  try {
    return await readGgufFileInfo(file, { sourceType: 'filesystem', logWarnings: false });
  } catch (error) {
    throw new StudioFailure(
      'unsupported_file',
      `${file} could not be read as a GGUF file (${error instanceof Error ? error.message : String(error)}). ` +
        'Convert the run for chat again (Chat GGUF on the run card, or `character-studio train gguf <run>`).',
    );
  }
}

const size = (t: GgufTensorInfo): string => t.dimensions.map(String).join('×');
const dim = (t: GgufTensorInfo, i: number): number => Number(t.dimensions[i] ?? 1);

/**
 * Throws a StudioFailure saying what differs when `adapterGguf` was not trained on `baseGguf`
 * (another architecture, another size): llama.cpp would otherwise refuse it with a terse log line,
 * or worse, apply it to the wrong tensors. LoRA tensors come in pairs `<w>.lora_a` (ggml dims
 * [in, rank]) and `<w>.lora_b` ([rank, out]) for a base tensor `<w>` of dims [in, out].
 */
export async function checkAdapterFits(baseGguf: string, adapterGguf: string): Promise<void> {
  const [base, adapter] = await Promise.all([header(baseGguf), header(adapterGguf)]);
  const adapterName = basename(adapterGguf);
  const baseName = basename(baseGguf);
  const redo = 'Convert the run for chat again, or choose the base model this run was trained on.';
  // general.type is written by llama.cpp's converters but not in node-llama-cpp's metadata types.
  const kind = (adapter.metadata.general as { type?: unknown }).type;
  if (kind !== 'adapter') {
    throw new StudioFailure(
      'unsupported_file',
      `${adapterName} is not a LoRA adapter GGUF (its general.type is ${typeof kind === 'string' ? kind : 'missing'}). ${redo}`,
    );
  }
  const archBase = base.metadata.general.architecture;
  const archAdapter = adapter.metadata.general.architecture;
  if (archBase !== archAdapter) {
    throw new StudioFailure(
      'invalid_argument',
      `The adapter ${adapterName} was made for a ${String(archAdapter)} model, but the base model ${baseName} is ${String(archBase)}. ${redo}`,
    );
  }
  const baseTensors = new Map((base.fullTensorInfo ?? []).map((t) => [t.name, t]));
  const loraTensors = adapter.fullTensorInfo ?? [];
  if (!loraTensors.some((t) => t.name.endsWith('.lora_a'))) {
    throw new StudioFailure('unsupported_file', `${adapterName} holds no LoRA tensors (*.lora_a / *.lora_b). ${redo}`);
  }
  for (const lora of loraTensors) {
    const part = lora.name.endsWith('.lora_a') ? 'a' : lora.name.endsWith('.lora_b') ? 'b' : null;
    if (part === null) continue;
    const target = lora.name.slice(0, -'.lora_a'.length);
    const weight = baseTensors.get(target);
    if (weight === undefined) {
      throw new StudioFailure(
        'invalid_argument',
        `The adapter ${adapterName} changes ${target}, which the base model ${baseName} does not have: they are different models (another size or layout). ${redo}`,
      );
    }
    const fits = part === 'a' ? dim(lora, 0) === dim(weight, 0) : dim(lora, 1) === dim(weight, 1);
    if (!fits) {
      throw new StudioFailure(
        'invalid_argument',
        `The adapter ${adapterName} does not fit the base model ${baseName}: ${target} is ${size(weight)} in the base model, ` +
          `but the adapter's ${lora.name} is ${size(lora)} (a model of another size). ${redo}`,
      );
    }
  }
}

export interface MemoryEstimate {
  /** Bytes: the weight files plus the KV cache of the context (f16). */
  bytes: number;
  /** For the user, e.g. "about 1.2 GB (model 1.0 GB, adapter 20 MB, context 4096 tokens 0.2 GB)". */
  sentence: string;
}

/**
 * The memory a base model with its adapter and a context of `contextSize` tokens takes, from the
 * files' sizes (weights are mapped as stored) and the KV cache the header implies
 * (2 × layers × context × kv width × 2 bytes). Used to announce a second model loaded beside one
 * already in memory.
 */
export async function estimateChatMemory(
  baseGguf: string,
  adapterGguf: string | null,
  contextSize: number,
): Promise<MemoryEstimate> {
  const info = await header(baseGguf);
  const [baseBytes, adapterBytes] = await Promise.all([
    stat(baseGguf).then((s) => s.size),
    adapterGguf ? stat(adapterGguf).then((s) => s.size) : Promise.resolve(0),
  ]);
  const arch = info.metadata.general.architecture as string;
  const meta = (info.metadata as unknown as Record<string, Record<string, unknown>>)[arch] ?? {};
  const layers = Number(meta.block_count ?? 0);
  const width = Number(meta.embedding_length ?? 0);
  const heads = Number((meta.attention as Record<string, unknown> | undefined)?.head_count ?? 1) || 1;
  const kvHeads = Number((meta.attention as Record<string, unknown> | undefined)?.head_count_kv ?? heads) || heads;
  const kvBytes = 2 * layers * contextSize * ((width / heads) * kvHeads) * 2;
  const bytes = baseBytes + adapterBytes + kvBytes;
  const parts = [`model ${formatBytes(baseBytes)}`];
  if (adapterGguf) parts.push(`adapter ${formatBytes(adapterBytes)}`);
  parts.push(`context of ${contextSize} tokens ${formatBytes(kvBytes)}`);
  return { bytes, sentence: `about ${formatBytes(bytes)} (${parts.join(', ')})` };
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}
