import { StudioFailure } from '../errors';
import { LlmGateway, type CallRecord, type StartedCall } from '../llm/gateway';
import { OpenAiCompatibleProvider } from '../llm/openai-provider';
import { isLlmError, type ChatMessage, type LlmProvider, type PriceTable } from '../llm/types';
import {
  ChatRuntimeError,
  type ChatRuntime,
  type ChatRuntimeIdentity,
  type ChatRuntimeMessage,
  type ChatRuntimeReply,
  type ChatRuntimeRequest,
} from './chat-runtime';

/**
 * The two runtimes that speak the OpenAI protocol, both through the LLM gateway so every reply is
 * an `llm_calls` record like any generation call (issue #11, point 1 b and c):
 * - `endpoint`: any provider configured in Settings (Ollama with an exported model, vLLM with the
 *   adapter, or a plain base model as a baseline);
 * - `served`: the trainer's own `serve` of a run (local or through the SSH tunnel), started on the
 *   first reply; its thoughts come back apart as `reasoning_content`.
 *
 * One attempt per reply (the gateway does not retry): a stream already shown to the user cannot be
 * replayed, so a failure keeps the partial text (`ChatRuntimeError`) and the user chooses Retry.
 */

/** Where the gateway's records go (the jobs repo's `llm_calls`, with no job). */
export interface CallRecorder {
  onStart(record: StartedCall): void;
  onCall(record: CallRecord): void;
}

class GatewayChatRuntime implements ChatRuntime {
  private disposed = false;

  constructor(
    readonly identity: ChatRuntimeIdentity,
    /** The provider to answer with, made ready (a server started) on first use. */
    private readonly ready: (onStatus: (status: { state: 'loading'; detail: string }) => void) => Promise<LlmProvider>,
    private readonly recorder: CallRecorder,
    private readonly release: () => Promise<void>,
    /** Whether the endpoint reads a speaker's `name` (the trainer's `serve`); OpenAI rejects names with spaces. */
    private readonly sendsNames: boolean,
    /** What its calls cost (a paid endpoint's prices); none for a server that does not bill. */
    private readonly prices: PriceTable = {},
    /** Why it cannot go on from an unfinished reply (Continue), or undefined when it can. */
    readonly cannotContinue?: string,
  ) {}

  async reply(request: ChatRuntimeRequest): Promise<ChatRuntimeReply> {
    if (this.disposed) throw new Error('This chat runtime was closed; start the conversation again.');
    if (request.continuing && this.cannotContinue) throw new StudioFailure('unavailable', this.cannotContinue);
    const provider = await this.ready((status) => request.onStatus?.(status));
    const gateway = new LlmGateway(provider, {
      maxConcurrency: 1,
      maxAttempts: 1,
      prices: this.prices,
      onStart: (record) => this.recorder.onStart(record),
      onCall: (record) => this.recorder.onCall(record),
    });
    let text = '';
    let reasoning = '';
    let flowing = false;
    const partial = () => ({ text, reasoning: reasoning === '' ? null : reasoning });
    try {
      const result = await gateway.complete(
        {
          messages: request.messages.map((m) => this.toMessage(m)),
          temperature: request.sampling.temperature,
          topP: request.sampling.topP,
          maxTokens: request.sampling.maxTokens,
          ...(request.sampling.seed !== undefined && { seed: request.sampling.seed }),
          ...(request.sampling.ignoreEos && { ignoreEos: true }),
          // Continue: the unfinished reply goes last, as an assistant prefix the model writes on from.
          ...(request.continuing && { continueLast: true }),
          onDelta: (delta) => {
            if (!flowing) {
              flowing = true;
              request.onStatus?.({ state: 'generating' });
            }
            text += delta.text ?? '';
            reasoning += delta.reasoning ?? '';
            request.onDelta(delta);
          },
        },
        { signal: request.signal, ...(request.callId !== undefined && { callId: request.callId }), tag: 'chat' },
      );
      return {
        text: result.text,
        reasoning: result.reasoning ?? (reasoning === '' ? null : reasoning),
        finish: result.finishReason === 'length' ? 'length' : 'stop',
        promptTokens: result.usage.estimated ? null : result.usage.promptTokens,
        completionTokens: result.usage.estimated ? null : result.usage.completionTokens,
      };
    } catch (error) {
      if (request.signal.aborted)
        return { ...partial(), finish: 'cancelled', promptTokens: null, completionTokens: null };
      // A model may say nothing at all (an end of turn straight away): an answer, not a fault.
      if (isLlmError(error) && error.code === 'empty' && text === '')
        return { text: '', reasoning: partial().reasoning, finish: 'stop', promptTokens: null, completionTokens: null };
      const message = error instanceof Error ? error.message : String(error);
      throw new ChatRuntimeError(message, partial(), { cause: error });
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.release();
  }

  private toMessage(m: ChatRuntimeMessage): ChatMessage {
    return {
      role: m.role,
      content: m.content,
      ...(this.sendsNames && m.role === 'user' && m.name !== undefined && { name: m.name }),
      ...(m.role === 'assistant' && m.reasoning && { reasoning: m.reasoning }),
    };
  }
}

/** A configured provider as a chat runtime (baseline or exported model). */
export function endpointChatRuntime(
  provider: LlmProvider,
  recorder: CallRecorder,
  format: ChatRuntimeIdentity['format'] = 'chat',
  /** The provider's prices, when it bills (ProviderService.pricesFor). */
  prices: PriceTable = {},
): ChatRuntime {
  return new GatewayChatRuntime(
    { kind: 'endpoint', model: provider.model, adapter: null, format, inStudio: provider.id === 'embedded' },
    () => Promise.resolve(provider),
    recorder,
    () => Promise.resolve(),
    false,
    prices,
    provider.id === 'openai-compatible:openai'
      ? "OpenAI's API cannot go on from an unfinished reply (it answers it with a new one): use Retry, or chat through a server that can (llama.cpp server, vLLM, Ollama, LM Studio)."
      : undefined,
  );
}

/** How the served runtime reaches the trainer's `serve` of one run (TrainingService in the studio). */
export interface ServedRunAccess {
  /** Starts serving when it is not yet (resolves once the model answers); the URL and model id. */
  serve(): Promise<{ url: string; model: string; startedHere: boolean }>;
  /** Stops the server this runtime started; a server someone else started keeps running. */
  stop(): Promise<void>;
  /** Whether the run is served and answering now (no loading to announce). */
  answering(): boolean;
  /** Runs served now besides this one, for the loading message. */
  others(): number;
}

/**
 * The trainer's `serve` of a run as a chat runtime. The first reply starts the server when needed
 * (`loading`, which takes a while: the base model and the adapter load); `dispose` stops it again
 * only when this runtime started it.
 */
export function servedChatRuntime(
  identity: Omit<ChatRuntimeIdentity, 'kind'>,
  access: ServedRunAccess,
  recorder: CallRecorder,
): ChatRuntime {
  let provider: { url: string; llm: LlmProvider } | null = null;
  let startedHere = false;
  return new GatewayChatRuntime(
    { ...identity, kind: 'served' },
    async (onStatus) => {
      if (!access.answering()) {
        const others = access.others();
        onStatus({
          state: 'loading',
          detail:
            "Loading the run's model with the trainer's serve…" +
            (others > 0 ? ` ${others} other model${others === 1 ? ' is' : 's are'} in memory and stay loaded.` : ''),
        });
      }
      const served = await access.serve();
      startedHere ||= served.startedHere;
      if (provider?.url !== served.url) {
        provider = {
          url: served.url,
          llm: new OpenAiCompatibleProvider({
            preset: 'custom',
            baseURL: served.url,
            apiKey: 'local',
            model: served.model,
            supportsJsonSchema: false,
            // Continue: serve goes on from the final assistant message when told so, as vLLM.
            continues: 'flags',
            // A large model on a CPU can take minutes to read a long conversation.
            firstTokenTimeoutMs: 600_000,
          }),
        };
      }
      return provider.llm;
    },
    recorder,
    () => (startedHere ? access.stop() : Promise.resolve()),
    true,
  );
}
