/**
 * The embedded chat runtime: node-llama-cpp in this process, the run's base model as GGUF with its
 * LoRA adapter applied on the context (not merged), the prompt rendered here exactly as the run was
 * trained (paper-prompt.ts). No Python at chat time.
 *
 * Lifecycle: `openEmbeddedChat` returns at once; the first `reply` checks that the adapter fits the
 * base model (GGUF headers), then loads the model and one context with one sequence, reporting
 * `loading`. Replies run one at a time (a second waits for the first). A failed load is not kept:
 * the next reply tries again. `dispose()` frees the context, the model and the llama binding it
 * created; replies after it reject.
 *
 * Generation (both formats): a token loop on the context sequence (`sequence.evaluate`), reusing the
 * KV cache of the longest prefix the new prompt shares with what the sequence holds. It ends on an
 * end-of-generation token, on a stop string, at `maxTokens` (`finish: 'length'`: a model that never
 * stops is ended there) or when the request's signal fires (`finish: 'cancelled'`, with what was
 * produced). A native failure mid-reply rejects with ChatRuntimeError carrying the partial reply.
 * With `sampling.ignoreEos` ("never end on its own") only the last two end it: end-of-generation
 * tokens are banned, end-of-turn markers are text, and the context gives way (embedded-generate.ts).
 * The generation itself is embedded-generate.ts.
 *
 * - `character-llm`: raw completion of the paper's prompt (BOS + text), stop `<|eot|>`; the thinking
 *   loop as the trainer's serve_engine.py: a `thinking)` / `action)` turn streams as `reasoning`, is appended
 *   and the character primed again, up to MAX_ASIDES asides; the speaking turn streams as `text`
 *   (never ending, it goes on past its `<|eot|>`, which stays in the text).
 * - `chat`: the conversation as trained (chatPromptMessages) through the GGUF's own Jinja chat
 *   template with the generation prompt; stops on end-of-generation tokens and the template's
 *   end-of-turn markers.
 *
 * Continue (`request.continuing`: the last message is the character's unfinished reply): the prompt
 * ends inside that reply, after its last word (the paper's open speaking turn without `<|eot|>`;
 * the template's last model turn left open), and the model writes on; only the new text streams.
 */
import type {
  ChatHistoryItem,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
  Token,
  TokenBias,
  ChatWrapper,
} from 'node-llama-cpp';
import { StudioFailure } from '../errors';
import { nodeLlamaCpp } from '../llm/embedded-model';
import {
  ChatRuntimeError,
  type ChatRuntime,
  type ChatRuntimeIdentity,
  type ChatRuntimeReply,
  type ChatRuntimeRequest,
  type ChatSampling,
} from './chat-runtime';
import { endOfTextBan, generateSegment, type Segment } from './embedded-generate';
import { checkAdapterFits, estimateChatMemory, type MemoryEstimate } from './gguf-check';
import {
  EOT,
  MAX_ASIDES,
  characterLlmContinuation,
  characterLlmPrompt,
  chatPromptMessages,
  splitHeader,
  type PromptCharacter,
} from './paper-prompt';
import { HeaderRouter } from './header-router';

export interface EmbeddedChatOptions {
  /** The base model as GGUF (unmerged), or a merged / fully fine-tuned model with no adapter. */
  baseGguf: string;
  /** The run's LoRA adapter as GGUF, applied on the context; null for none. */
  adapterGguf: string | null;
  /** The run's training format, from its manifest. */
  format: 'character-llm' | 'chat';
  character: PromptCharacter;
  /** CPU threads per evaluation; always given (node-llama-cpp's default oversubscribes small machines). */
  threads: number;
  /** Tokens; default the model's trained context capped at 4096. */
  contextSize?: number;
  /** `'auto'` offloads what a GPU holds; 0 stays on the CPU. Default `'auto'`. */
  gpuLayers?: 'auto' | number;
  /** Speaker of user messages without a name (the paper's interviewer `Man`). */
  userName?: string;
  /** A llama binding to share; when absent the runtime creates and disposes its own. */
  llama?: Llama;
}

const DEFAULT_CONTEXT_CAP = 4096;
/** End-of-turn markers of common chat templates (as the trainer's export.py lists them). */
const END_OF_TURN_MARKERS = ['<|im_end|>', '<|eot_id|>', '<|end|>', '<end_of_turn>', '</s>', '<|endoftext|>'];

interface Loaded {
  llama: Llama;
  ownsLlama: boolean;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  chatWrapper: ChatWrapper | null;
  /** The end-of-generation ban for replies that never end, made on the first one that asks. */
  endBan?: Promise<TokenBias>;
}

export function openEmbeddedChat(options: EmbeddedChatOptions): EmbeddedChat {
  return new EmbeddedChat(options);
}

export class EmbeddedChat implements ChatRuntime {
  readonly identity: ChatRuntimeIdentity;
  private loading: Promise<Loaded> | undefined;
  private disposed = false;
  /** Replies run one at a time: each waits for the one before. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Fired by dispose(): the reply in flight ends as cancelled, keeping what it wrote, so closing never waits. */
  private readonly closing = new AbortController();

  constructor(private readonly options: EmbeddedChatOptions) {
    this.identity = {
      kind: 'embedded',
      model: options.baseGguf,
      adapter: options.adapterGguf,
      format: options.format,
    };
  }

  /** What loading this runtime takes (or took) in memory, for announcing a second model beside one loaded. */
  estimateMemory(): Promise<MemoryEstimate> {
    return estimateChatMemory(
      this.options.baseGguf,
      this.options.adapterGguf,
      this.options.contextSize ?? DEFAULT_CONTEXT_CAP,
    );
  }

  /** Whether the model is in memory now. */
  get loaded(): boolean {
    return this.loading !== undefined;
  }

  reply(request: ChatRuntimeRequest): Promise<ChatRuntimeReply> {
    const turn = this.queue.then(() => this.replyNow(request));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const loading = this.loading;
    this.loading = undefined;
    const loaded = await loading?.catch(() => undefined);
    if (!loaded) return;
    this.closing.abort();
    await this.queue; // the reply in flight ends at its next token
    await loaded.context.dispose();
    await loaded.model.dispose();
    if (loaded.ownsLlama) await loaded.llama.dispose();
  }

  private async replyNow(request: ChatRuntimeRequest): Promise<ChatRuntimeReply> {
    if (this.disposed)
      throw new StudioFailure('unavailable', 'This chat runtime has been closed; open the chat again.');
    if (!this.loading) request.onStatus?.({ state: 'loading', detail: 'Loading the model into memory…' });
    const loaded = await this.load();
    if (request.signal.aborted) return cancelledReply();
    request.onStatus?.({ state: 'generating' });
    const streamed = { text: '', reasoning: '' };
    const tracked: ChatRuntimeRequest = {
      ...request,
      signal: AbortSignal.any([request.signal, this.closing.signal]),
      onDelta: (delta) => {
        streamed.text += delta.text ?? '';
        streamed.reasoning += delta.reasoning ?? '';
        request.onDelta(delta);
      },
    };
    try {
      return await (this.options.format === 'chat'
        ? this.chatReply(loaded, tracked)
        : request.continuing
          ? this.paperContinuation(loaded, tracked)
          : this.paperReply(loaded, tracked));
    } catch (error) {
      if (error instanceof StudioFailure) throw error;
      // A native failure mid-reply: what was streamed is kept, marked as cut by the caller.
      throw new ChatRuntimeError(
        `The embedded model failed while writing the reply: ${error instanceof Error ? error.message : String(error)}`,
        { text: streamed.text, reasoning: streamed.reasoning || null },
      );
    }
  }

  private load(): Promise<Loaded> {
    if (this.disposed) return Promise.reject(new StudioFailure('unavailable', 'This chat runtime has been closed.'));
    if (!this.loading) {
      const loading = this.loadOnce();
      this.loading = loading;
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined; // not kept: the next reply tries again
      });
    }
    return this.loading;
  }

  private async loadOnce(): Promise<Loaded> {
    const { baseGguf, adapterGguf, threads } = this.options;
    if (adapterGguf) await checkAdapterFits(baseGguf, adapterGguf);
    const nlc = await nodeLlamaCpp();
    const gpuLayers = this.options.gpuLayers ?? 'auto';
    const ownsLlama = this.options.llama === undefined;
    const llama =
      this.options.llama ??
      (await nlc.getLlama({
        gpu: gpuLayers === 0 ? false : 'auto',
        build: 'never',
        logLevel: nlc.LlamaLogLevel.error,
      }));
    let model: LlamaModel | undefined;
    try {
      model = await llama.loadModel({ modelPath: baseGguf, gpuLayers });
      const context = await model.createContext({
        contextSize: this.options.contextSize ?? Math.min(model.trainContextSize, DEFAULT_CONTEXT_CAP),
        sequences: 1,
        threads,
        ...(adapterGguf ? { lora: { adapters: [{ filePath: adapterGguf }] } } : {}),
      });
      const template = model.fileInfo.metadata.tokenizer.chat_template;
      const chatWrapper =
        this.options.format === 'chat'
          ? template
            ? new nlc.JinjaTemplateChatWrapper({
                template,
                joinAdjacentMessagesOfTheSameType: false,
                trimLeadingWhitespaceInResponses: false,
              })
            : nlc.resolveChatWrapper(model)
          : null;
      return { llama, ownsLlama, model, context, sequence: context.getSequence(), chatWrapper };
    } catch (error) {
      await model?.dispose().catch(() => undefined);
      if (ownsLlama) await llama.dispose().catch(() => undefined);
      throw new StudioFailure(
        'unavailable',
        `The embedded runtime could not load ${baseGguf}${adapterGguf ? ` with the adapter ${adapterGguf}` : ''}: ` +
          `${error instanceof Error ? error.message : String(error)}. Convert the run for chat again, or use the served runtime.`,
      );
    }
  }

  /** The paper's loop (serve_engine.py `_character_llm_reply`): asides become reasoning until a speaking turn. */
  private async paperReply(loaded: Loaded, request: ChatRuntimeRequest): Promise<ChatRuntimeReply> {
    const { character } = this.options;
    let prompt = characterLlmPrompt(request.messages, character, this.options.userName);
    let tokens = this.rawTokens(loaded, prompt);
    const promptTokens = tokens.length;
    const asides: string[] = [];
    let used = 0;
    let text = '';
    let finish: ChatRuntimeReply['finish'] = 'length';
    const reasoning = (): string | null => (asides.length > 0 ? asides.join('\n') : null);
    const neverEnds = request.sampling.ignoreEos === true;
    for (let round = 0; round <= MAX_ASIDES; round++) {
      const budget = request.sampling.maxTokens - used;
      if (budget < 1) break;
      const router = new HeaderRouter((delta) => request.onDelta(delta), asides.length === 0);
      const sampling = { ...request.sampling, maxTokens: budget };
      // Never ending, the last aside allowed has no `<|eot|>` to end it either.
      const stops = neverEnds && round === MAX_ASIDES ? [] : [EOT];
      const segment = await this.generate(loaded, tokens, sampling, stops, request.signal, (c) => router.feed(c));
      router.finish();
      used += segment.tokens;
      const turn = splitHeader(segment.text);
      const aside = turn.kind === 'thinking' || turn.kind === 'action';
      if (aside) asides.push(turn.kind === 'thinking' ? turn.text : `(${turn.kind}) ${turn.text}`);
      // Ended by `<|eot|>` or by an end-of-generation token, as serve_engine.py's `ended_turn`: prime again.
      if (aside && segment.finish === 'stop') {
        prompt += `${segment.text}${EOT}\n${character.shortName} (`;
        tokens = this.rawTokens(loaded, prompt); // the whole text again: tokens merge across the seam
        continue;
      }
      text = aside ? '' : turn.text; // cut short inside an aside: no reply yet
      finish = segment.finish;
      if (neverEnds && !aside && finish === 'stop' && used < request.sampling.maxTokens) {
        // Never ending, the speech goes on past its `<|eot|>` (kept in the text, as the model wrote
        // it): the model writes on, the next turns too, until the limit or Stop.
        router.feed(EOT);
        prompt += `${segment.text}${EOT}`;
        tokens = this.rawTokens(loaded, prompt);
        const rest = await this.generate(
          loaded,
          tokens,
          { ...request.sampling, maxTokens: request.sampling.maxTokens - used },
          [],
          request.signal,
          (c) => router.feed(c),
        );
        router.finish(); // a turn whose header never came streams whole now
        used += rest.tokens;
        text += EOT + rest.text;
        finish = rest.finish;
      }
      break;
    }
    return { text, reasoning: reasoning(), finish, promptTokens, completionTokens: used };
  }

  /** Continue in the paper's format: the open speaking turn written on to its `<|eot|>` (or, never ending, past it). */
  private async paperContinuation(loaded: Loaded, request: ChatRuntimeRequest): Promise<ChatRuntimeReply> {
    const prompt = characterLlmContinuation(request.messages, this.options.character, this.options.userName);
    const tokens = this.rawTokens(loaded, prompt);
    return this.textReply(loaded, tokens, request, request.sampling.ignoreEos ? [] : [EOT]);
  }

  private async chatReply(loaded: Loaded, request: ChatRuntimeRequest): Promise<ChatRuntimeReply> {
    const messages = chatPromptMessages(request.messages, this.options.character, this.options.userName);
    const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem =>
      m.role === 'system'
        ? { type: 'system', text: m.content }
        : m.role === 'user'
          ? { type: 'user', text: m.content }
          : { type: 'model', response: [m.content] },
    );
    // The turn the model writes: a new one, or (Continue) the unfinished last one, which the
    // template leaves open after its last word.
    if (!request.continuing) history.push({ type: 'model', response: [] });
    const state = loaded.chatWrapper!.generateContextState({ chatHistory: history });
    const tokens = state.contextText.tokenize(loaded.model.tokenizer);
    const template = loaded.model.fileInfo.metadata.tokenizer.chat_template ?? '';
    // Never ending, a marker the model spells out is text like any other.
    return this.textReply(
      loaded,
      tokens,
      request,
      request.sampling.ignoreEos ? [] : END_OF_TURN_MARKERS.filter((m) => template.includes(m)),
    );
  }

  /** The reply written after `tokens` up to one of `stops`, its text streamed as it comes (no thoughts apart). */
  private async textReply(
    loaded: Loaded,
    tokens: Token[],
    request: ChatRuntimeRequest,
    stops: readonly string[],
  ): Promise<ChatRuntimeReply> {
    const segment = await this.generate(loaded, tokens, request.sampling, stops, request.signal, (chunk) =>
      request.onDelta({ text: chunk }),
    );
    return {
      text: segment.text,
      reasoning: null,
      finish: segment.finish,
      promptTokens: tokens.length,
      completionTokens: segment.tokens,
    };
  }

  /** `generateSegment` on this runtime's sequence, with the end-of-text ban when the reply may not end. */
  private async generate(
    loaded: Loaded,
    tokens: Token[],
    sampling: ChatSampling,
    stops: readonly string[],
    signal: AbortSignal,
    onText: (chunk: string) => void,
  ): Promise<Segment> {
    const endBan = sampling.ignoreEos ? await (loaded.endBan ??= endOfTextBan(loaded.model)) : undefined;
    return generateSegment(loaded, { tokens, sampling, stops, signal, onText, ...(endBan && { endBan }) });
  }

  /** BOS (when the model wants one) + the text's tokens, `<|eot|>` and the like as plain text: as trained. */
  private rawTokens(loaded: Loaded, text: string): Token[] {
    const { model } = loaded;
    const tokens = model.tokenize(text, false);
    const bos = model.tokens.bos;
    return bos !== null && model.tokens.shouldPrependBosToken ? [bos, ...tokens] : tokens;
  }
}

function cancelledReply(): ChatRuntimeReply {
  return { text: '', reasoning: null, finish: 'cancelled', promptTokens: null, completionTokens: 0 };
}
