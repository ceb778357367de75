/**
 * The offline provider: a GGUF model run in-process through node-llama-cpp (3.21.x).
 *
 * Lifecycle: nothing is loaded until the first `complete` / `test`; then the llama binding, the
 * model and one context (with `sequences` slots) are loaded once and shared by every call. Each
 * call borrows a free sequence, so at most `sequences` generations run at once and the rest wait
 * in arrival order. A failed load is not cached: the next call tries again (the user may have
 * fixed the file). `dispose()` frees native memory; calls after it reject with `cancelled`.
 *
 * Per call: the messages are rendered with the model's own chat template (the chat wrapper
 * node-llama-cpp resolves from the GGUF, resolved once); `jsonSchema` becomes a grammar, so the
 * text is guaranteed to be schema-shaped JSON unless cut off by `maxTokens` (then
 * `finishReason: 'length'`). Prompt tokens are the rendered prompt's token count; completion
 * tokens are what the sequence generated for this call. A caller's `onDelta` gets the reply as it
 * is written; an abort then rejects with `cancelled`, and what was streamed is the caller's to keep.
 */
import { basename } from 'node:path';
import type {
  LlamaChat,
  LlamaChatResponseChunk,
  ChatHistoryItem,
  GbnfJsonSchema,
  LlamaContextSequence,
  LlamaGrammar,
} from 'node-llama-cpp';
import {
  LlmError,
  type ChatMessage,
  type CompletionRequest,
  type CompletionResult,
  type ConnectionReport,
  type ConnectionStep,
  type FinishReason,
  type LlmProvider,
  type ProviderCapabilities,
} from './types';
import { clause } from '../../../common/sentence';
import { toGrammarSchema } from './embedded-grammar';
import {
  checkGgufFile,
  loadEmbeddedModel,
  messageOf,
  modelLoadError,
  type EmbeddedModelOptions,
  type LoadedModel,
} from './embedded-model';

export interface EmbeddedProviderOptions extends EmbeddedModelOptions {
  /** Model id reported in results and call records; defaults to the file name without `.gguf`. */
  name?: string;
  /** The studio's name for the provider (`LlmProvider.label`). */
  label?: string;
  /** Sampling seed, for reproducible output when `temperature > 0`. */
  seed?: number;
}

const GRAMMAR_CACHE_SIZE = 16;

/** Rejects with `cancelled` as soon as `signal` aborts, without stopping `work` itself. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function cancelled(): LlmError {
  return new LlmError('cancelled', 'The request to the embedded model was cancelled before it finished.');
}

/** The messages as node-llama-cpp's history; `continueLast`: the last (a model turn) is the one the model writes on. */
function toHistory(messages: readonly ChatMessage[], continueLast = false): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem => {
    switch (m.role) {
      case 'system':
        return { type: 'system', text: m.content };
      case 'user':
        return { type: 'user', text: m.content };
      case 'assistant':
        return { type: 'model', response: [m.content] };
    }
  });
  // The empty model turn is the one the model writes; a model turn left last is written on (Continue).
  if (!continueLast || history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

export class EmbeddedProvider implements LlmProvider {
  readonly id = 'embedded';
  readonly label?: string;
  readonly model: string;
  readonly capabilities: ProviderCapabilities = { jsonSchema: true };

  private readonly options: EmbeddedProviderOptions;
  private loading: Promise<LoadedModel> | undefined;
  private loaded: LoadedModel | undefined;
  private disposed = false;
  private readonly freeSequences: LlamaContextSequence[] = [];
  private readonly waiters: ((sequence: LlamaContextSequence) => void)[] = [];
  /** Keyed by the schema's JSON text; insertion order doubles as LRU order. */
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  constructor(options: EmbeddedProviderOptions) {
    this.options = options;
    if (options.label !== undefined) this.label = options.label;
    this.model = options.name ?? basename(options.modelPath).replace(/\.gguf$/i, '');
  }

  /** The context window actually created (may be rounded up by llama.cpp); undefined before load. */
  get contextSize(): number | undefined {
    return this.loaded?.context.contextSize;
  }

  async complete(req: CompletionRequest, signal: AbortSignal): Promise<CompletionResult> {
    const started = performance.now();
    if (req.messages.length === 0) {
      throw new LlmError('bad_request', 'The request has no messages; send at least one user message.');
    }
    const loaded = await raceAbort(this.load(), signal);
    const grammar =
      req.jsonSchema === undefined ? undefined : await raceAbort(this.grammarFor(req.jsonSchema.schema), signal);
    const sequence = await this.acquire(signal);
    try {
      return await this.generate(loaded, sequence, req, grammar, signal, started);
    } finally {
      this.release(sequence);
    }
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    if (signal.aborted) throw cancelled();
    await checkGgufFile(this.options.modelPath);
    return [this.model];
  }

  async test(signal: AbortSignal): Promise<ConnectionReport> {
    const steps: ConnectionStep[] = [];
    const report = (error?: LlmError): ConnectionReport => {
      const last = steps[steps.length - 1];
      return {
        ok: error === undefined,
        summary:
          error === undefined
            ? `Embedded model ${this.model} loaded and answered in ${Math.round(last?.latencyMs ?? 0)} ms.`
            : error.message,
        endpoint: this.options.modelPath,
        model: this.model,
        models: [this.model],
        steps,
        ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
      };
    };
    const run = async (name: ConnectionStep['name'], work: () => Promise<string>): Promise<LlmError | undefined> => {
      const t0 = performance.now();
      try {
        const message = await work();
        steps.push({
          name,
          ok: true,
          message,
          latencyMs: performance.now() - t0,
        });
        return undefined;
      } catch (error) {
        if (signal.aborted) throw cancelled();
        const failure = error instanceof LlmError ? error : modelLoadError(this.options.modelPath, error);
        steps.push({
          name,
          ok: false,
          message: failure.message,
          latencyMs: performance.now() - t0,
        });
        return failure;
      }
    };

    const loadFailure = await run('model-available', async () => {
      const { model, context } = await raceAbort(this.load(), signal);
      const mib = (model.size / 2 ** 20).toFixed(1);
      return `Loaded ${this.model} (${mib} MiB, ${model.fileInfo.metadata.general.architecture}, context ${context.contextSize} tokens).`;
    });
    if (loadFailure) return report(loadFailure);
    const completionFailure = await run('completion', async () => {
      const result = await this.complete({ messages: [{ role: 'user', content: 'Say hello.' }], maxTokens: 8 }, signal);
      return `The model answered with ${result.usage.completionTokens} tokens.`;
    });
    return report(completionFailure);
  }

  /** Frees the context, the model and (if the provider created it) the llama binding. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const loading = this.loading;
    this.loading = undefined;
    this.loaded = undefined;
    this.grammars.clear();
    this.freeSequences.length = 0;
    if (loading === undefined) return;
    const loaded = await loading.catch(() => undefined);
    if (loaded === undefined) return;
    await loaded.context.dispose();
    await loaded.model.dispose();
    if (loaded.ownsLlama) await loaded.llama.dispose();
  }

  private async generate(
    loaded: LoadedModel,
    sequence: LlamaContextSequence,
    req: CompletionRequest,
    grammar: LlamaGrammar | undefined,
    signal: AbortSignal,
    started: number,
  ): Promise<CompletionResult> {
    let chat: LlamaChat | undefined;
    try {
      const history = toHistory(req.messages, req.continueLast);
      const promptTokens = loaded.chatWrapper
        .generateContextState({ chatHistory: history })
        .contextText.tokenize(loaded.model.tokenizer).length;
      const room = sequence.contextSize - promptTokens;
      if (room < 1) {
        throw new LlmError(
          'bad_request',
          `The prompt is ${promptTokens} tokens but the embedded model's context holds only ${sequence.contextSize}. ` +
            'Shorten the prompt or raise the context size in the embedded model settings.',
        );
      }
      // The reply may fill the rest of the window but never shift it (a shift would silently drop
      // the start of the conversation); running into the wall ends it with 'length'.
      const maxTokens = Math.min(req.maxTokens ?? room, room);
      const meterBefore = sequence.tokenMeter.getState();
      chat = new loaded.runtime.LlamaChat({
        contextSequence: sequence,
        chatWrapper: loaded.chatWrapper,
      });
      const onDelta = req.onDelta;
      const response = await chat.generateResponse(history, {
        signal,
        maxTokens,
        // A caller that watches the reply gets it as it is written (the Chat tab shows it, and on
        // Stop keeps what came so far); thoughts of a thinking model stream apart as reasoning.
        ...(onDelta && {
          onResponseChunk: (chunk: LlamaChatResponseChunk) => {
            if (chunk.type === undefined) onDelta({ text: chunk.text });
            else if (chunk.segmentType === 'thought') onDelta({ reasoning: chunk.text });
          },
        }),
        ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
        ...(req.topP === undefined ? {} : { topP: req.topP }),
        ...(this.options.seed === undefined ? {} : { seed: this.options.seed }),
        ...(req.stop === undefined || req.stop.length === 0 ? {} : { customStopTriggers: req.stop }),
        ...(grammar === undefined ? {} : { grammar }),
      });
      const finishReason: FinishReason =
        response.metadata.stopReason === 'maxTokens'
          ? 'length'
          : response.metadata.stopReason === 'abort'
            ? 'other'
            : 'stop';
      const completionTokens = sequence.tokenMeter.diff(meterBefore).usedOutputTokens;
      if (response.response.length === 0) {
        throw new LlmError('empty', `The embedded model ${this.model} ended its reply without writing anything.`);
      }
      return {
        text: response.response,
        finishReason,
        usage: { promptTokens, completionTokens },
        model: this.model,
        latencyMs: performance.now() - started,
      };
    } catch (error) {
      if (error instanceof LlmError) throw error;
      if (signal.aborted) throw cancelled();
      if (this.disposed) throw this.closedError();
      throw new LlmError('server', `The embedded model ${this.model} failed while generating: ${messageOf(error)}`, {
        cause: error,
        retryable: false,
      });
    } finally {
      chat?.dispose({ disposeSequence: false });
    }
  }

  private load(): Promise<LoadedModel> {
    if (this.disposed) {
      return Promise.reject(this.closedError());
    }
    if (this.loading === undefined) {
      const loading = this.loadOnce();
      this.loading = loading;
      loading.then(
        (loaded) => {
          if (this.loading === loading) this.loaded = loaded;
        },
        () => {
          // Not cached: the next call retries, since the user may have fixed the file meanwhile.
          if (this.loading === loading) this.loading = undefined;
        },
      );
    }
    return this.loading;
  }

  private async loadOnce(): Promise<LoadedModel> {
    const loaded = await loadEmbeddedModel(this.options);
    this.freeSequences.push(...loaded.sequences);
    return loaded;
  }

  private closedError(): LlmError {
    return new LlmError(
      'cancelled',
      `The embedded model ${this.model} has been closed; create a new provider to use it again.`,
    );
  }

  private grammarFor(schema: object): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    const cached = this.grammars.get(key);
    if (cached !== undefined) {
      this.grammars.delete(key);
      this.grammars.set(key, cached);
      return cached;
    }
    const created = this.load().then(async ({ llama }) => {
      try {
        return await llama.createGrammarForJsonSchema<GbnfJsonSchema>(toGrammarSchema(schema));
      } catch (error) {
        throw new LlmError(
          'bad_request',
          `The JSON schema could not be turned into a grammar for the embedded model: ${clause(messageOf(error))}. ` +
            'Describe every value with type, properties, items, enum, const, anyOf/oneOf or $ref.',
          { cause: error },
        );
      }
    });
    created.catch(() => this.grammars.delete(key));
    this.grammars.set(key, created);
    while (this.grammars.size > GRAMMAR_CACHE_SIZE) {
      const oldest = this.grammars.keys().next().value;
      if (oldest === undefined) break;
      this.grammars.delete(oldest);
    }
    return created;
  }

  /** Borrows a free sequence, waiting in arrival order; rejects with `cancelled` on abort. */
  private acquire(signal: AbortSignal): Promise<LlamaContextSequence> {
    if (signal.aborted) return Promise.reject(cancelled());
    const free = this.freeSequences.pop();
    if (free !== undefined) return Promise.resolve(free);
    return new Promise<LlamaContextSequence>((resolve, reject) => {
      const waiter = (sequence: LlamaContextSequence): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(sequence);
      };
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(cancelled());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private release(sequence: LlamaContextSequence): void {
    if (this.disposed || sequence.disposed) return;
    const next = this.waiters.shift();
    if (next !== undefined) next(sequence);
    else this.freeSequences.push(sequence);
  }
}
