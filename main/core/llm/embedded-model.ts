/**
 * Loading a GGUF model in-process through node-llama-cpp (3.21.x): the file checked first (so a
 * wrong path or a non-GGUF file says what to do), the llama binding (prebuilt only), the model, one
 * context with its sequences, and the chat wrapper the GGUF's own template resolves to. The
 * embedded provider (embedded-provider.ts) loads once and shares the result by every call; the
 * caller owns what is returned and disposes it (the binding only when `ownsLlama`).
 */
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { clause } from '../../../common/sentence';
import { LlmError } from './types';

/** How the model and its context are loaded. */
export interface EmbeddedModelOptions {
  /** Absolute path of a `.gguf` model file. */
  modelPath: string;
  /**
   * CPU threads per evaluation. Defaults to the machine's available parallelism. Always set
   * explicitly: node-llama-cpp's own default can oversubscribe small machines badly.
   */
  threads?: number;
  /** Context window in tokens; defaults to the model's trained size capped at 4096. */
  contextSize?: number;
  /** Layers offloaded to a GPU: `'auto'` (fit what the GPU holds) or `0` (CPU only). Default `'auto'`. */
  gpuLayers?: 'auto' | number;
  /** Generations that may run at once (context sequences). Default 1. */
  sequences?: number;
  /**
   * A llama binding to share with other users of node-llama-cpp in this process. When given, the
   * provider does not dispose it; when absent, the provider creates (and disposes) its own.
   */
  llama?: Llama;
}

type NodeLlamaCpp = typeof NodeLlamaCppModule;
let runtime: Promise<NodeLlamaCpp> | null = null;
let runtimeLoaded: NodeLlamaCpp | null = null;

/**
 * node-llama-cpp is imported on first use: the import costs ~0.4 s that every other command would pay.
 * Shared by every user of node-llama-cpp in the studio (this provider, the embedded chat runtime).
 */
export function nodeLlamaCpp(): Promise<NodeLlamaCpp> {
  runtime ??= import('node-llama-cpp').then((module) => (runtimeLoaded = module));
  return runtime;
}

export interface LoadedModel {
  runtime: NodeLlamaCpp;
  llama: Llama;
  ownsLlama: boolean;
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper;
  /** The context's sequences (`sequences` of them), all free. */
  sequences: LlamaContextSequence[];
}

const DEFAULT_CONTEXT_CAP = 4096;

/** An error's message, for messages that quote it. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Loads the model; throws an LlmError saying what to do (see checkGgufFile and modelLoadError). */
export async function loadEmbeddedModel(options: EmbeddedModelOptions): Promise<LoadedModel> {
  await checkGgufFile(options.modelPath);
  const { modelPath } = options;
  const gpuLayers = options.gpuLayers ?? 'auto';
  const ownsLlama = options.llama === undefined;
  let llama: Llama;
  let nlc: NodeLlamaCpp;
  try {
    nlc = await nodeLlamaCpp();
    // Prebuilt binaries only: building llama.cpp from source inside the app is never wanted.
    llama =
      options.llama ??
      (await nlc.getLlama({
        gpu: gpuLayers === 0 ? false : 'auto',
        build: 'never',
        logLevel: nlc.LlamaLogLevel.error,
      }));
  } catch (error) {
    throw new LlmError(
      'server',
      `The embedded model runtime (node-llama-cpp) could not start on this machine: ${clause(messageOf(error))}. ` +
        'Reinstall the app, or use an OpenAI-compatible provider (e.g. Ollama) instead.',
      { cause: error, retryable: false },
    );
  }
  let model: LlamaModel | undefined;
  try {
    model = await llama.loadModel({ modelPath, gpuLayers });
    const contextSize = options.contextSize ?? Math.min(model.trainContextSize, DEFAULT_CONTEXT_CAP);
    const sequences = Math.max(1, options.sequences ?? 1);
    const context = await model.createContext({
      contextSize,
      sequences,
      threads: options.threads ?? availableParallelism(),
    });
    const free = Array.from({ length: sequences }, () => context.getSequence());
    const chatWrapper = nlc.resolveChatWrapper(model);
    return { runtime: nlc, llama, ownsLlama, model, context, chatWrapper, sequences: free };
  } catch (error) {
    await model?.dispose().catch(() => undefined);
    if (ownsLlama) await llama.dispose().catch(() => undefined);
    throw modelLoadError(modelPath, error);
  }
}

/** What a failed load means for the user: out of memory, or a file llama.cpp cannot read. */
export function modelLoadError(modelPath: string, error: unknown): LlmError {
  if (error instanceof LlmError) return error;
  if (runtimeLoaded && error instanceof runtimeLoaded.InsufficientMemoryError) {
    return new LlmError(
      'server',
      `Not enough memory to load ${modelPath}: ${clause(error.message)}. Choose a smaller model or quantization, lower the context size, or set GPU layers to 0.`,
      { cause: error, retryable: false },
    );
  }
  return new LlmError(
    'bad_request',
    `The model file ${modelPath} could not be loaded: ${clause(messageOf(error))}. It may be incomplete (download it again) ` +
      'or use an architecture this version of node-llama-cpp (llama.cpp) does not support; try another GGUF model.',
    { cause: error },
  );
}

/** Fails with a message saying what to do when the path is missing, a folder, or not GGUF. */
export async function checkGgufFile(modelPath: string): Promise<void> {
  const info = await stat(modelPath).catch((error: unknown) => {
    throw new LlmError(
      'not_found',
      `The embedded model file ${modelPath} does not exist (${messageOf(error)}). ` +
        'Choose an existing .gguf file in the embedded model settings, or download a GGUF model first.',
      { cause: error },
    );
  });
  if (!info.isFile()) {
    throw new LlmError('bad_request', `${modelPath} is not a file. Choose a .gguf model file, not a folder.`);
  }
  const magic = Buffer.alloc(4);
  const handle = await open(modelPath, 'r');
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (magic.toString('latin1') !== 'GGUF') {
    throw new LlmError(
      'bad_request',
      `${modelPath} is not a GGUF model file (it does not start with "GGUF"). The embedded provider needs a llama.cpp ` +
        "GGUF file (*.gguf); convert the model with llama.cpp's convert_hf_to_gguf.py or download a GGUF build of it.",
    );
  }
}
