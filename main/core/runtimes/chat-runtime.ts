/**
 * The one interface every chat runtime implements, so the chat service (stored conversations, the
 * Chat tab, `character-studio chat`) and the interview bench do not care what produces a reply.
 *
 * Runtimes (issue #11, point 1):
 * - `embedded`: node-llama-cpp in this process, the base model as GGUF with the run's LoRA adapter
 *   applied on the context (not merged); the prompt is rendered here in TypeScript exactly as the
 *   trainer's `inference.py` renders it (`paper-prompt.ts`).
 * - `served`: the trainer's own `serve` (local, or on the run's SSH host through the tunnel), which
 *   renders the prompt itself from OpenAI messages.
 * - `endpoint`: any OpenAI-compatible endpoint configured as a provider (Ollama with an exported
 *   model, vLLM with the adapter, or a plain base model as a baseline), through the LLM gateway so
 *   every call is recorded.
 *
 * Prompt contract, shared by all three (it is the trainer's `serve` contract, see inference.py):
 * the conversation is OpenAI-style messages; the scene is one `system` message carrying
 * `Location: …` and `Status: …` lines (`settingMessage`; a baseline's says whom it plays first,
 * see `runtimeMessages` in chat/scene-bridge.ts); an assistant message may carry the
 * character's inner thoughts as `reasoning`, which the paper's format renders as a thinking turn.
 *
 * Lifecycle: a runtime is created by the chat service per (run or baseline, runtime kind), may load
 * lazily on the first `reply` (reporting `loading` through `onStatus`), serves any number of replies
 * (one at a time unless it says otherwise), and is freed by `dispose()` (closing the app frees every
 * model). A reply is cancelled through `signal`: it then resolves with what was produced so far and
 * `finish: 'cancelled'`; a runtime that fails mid-reply rejects with an error whose `partial` holds
 * the text produced so far (see `ChatRuntimeError`).
 */

/** Where and when the conversation takes place, as in training (the paper's meta prompt fields). */
export interface ChatSetting {
  /** "Location and time", e.g. "Vienna, a winter evening in 1809". */
  location: string;
  /** The scene's status / background: what is going on. */
  status: string;
}

export interface ChatRuntimeMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  /** Assistant only: the character's inner thoughts before speaking, when the run was trained with them. */
  reasoning?: string | null;
  /** User only: who speaks (defaults to the paper's interviewer, "Man"). */
  name?: string;
}

export interface ChatSampling {
  temperature: number;
  topP: number;
  /** Hard limit on generated tokens: a model that never stops is ended here (`finish: 'length'`). */
  maxTokens: number;
  seed?: number;
  /** The model may not end the reply (ChatSamplingSettings.ignoreEos): it runs to `maxTokens` or the signal. */
  ignoreEos?: boolean;
}

/** The paper's inference settings (METHOD.md §2), the default of every chat. */
export const DEFAULT_CHAT_SAMPLING: ChatSampling = { temperature: 0.2, topP: 0.95, maxTokens: 256 };

export interface ChatDelta {
  /** Speech, as it streams. */
  text?: string;
  /** Inner thoughts, as they stream (shown apart from speech). */
  reasoning?: string;
}

export interface ChatRuntimeRequest {
  messages: ChatRuntimeMessage[];
  sampling: ChatSampling;
  signal: AbortSignal;
  onDelta(delta: ChatDelta): void;
  /** `loading` while a model loads (with a sentence for the user), `generating` once tokens flow. */
  onStatus?(status: { state: 'loading' | 'generating'; detail?: string }): void;
  /** The id a runtime that records its calls (through the LLM gateway) records this one under. */
  callId?: string;
  /**
   * Continue: the last message is the character's unfinished reply (stopped or cut off), and the
   * model writes on from its last word. The deltas and the reply are only what comes after it.
   */
  continuing?: boolean;
}

export interface ChatRuntimeReply {
  text: string;
  reasoning: string | null;
  /** `stop`: a stop string or end of turn; `length`: maxTokens reached; `cancelled`: the signal fired. */
  finish: 'stop' | 'length' | 'cancelled';
  promptTokens: number | null;
  completionTokens: number | null;
}

/** What produced a reply, recorded with each character message of a conversation. */
export interface ChatRuntimeIdentity {
  kind: 'embedded' | 'served' | 'endpoint';
  /** The base model (path, served name or endpoint model id). */
  model: string;
  /** The LoRA adapter applied, or null (a baseline, or a merged model). */
  adapter: string | null;
  /** `character-llm` (the paper's raw format) or `chat` (the base model's chat template). */
  format: 'character-llm' | 'chat';
  /**
   * An endpoint whose provider runs a GGUF file inside the studio (the embedded preset), not a
   * server's API: its replies say `embedded` (the runtime still records calls as an endpoint's).
   */
  inStudio?: boolean;
}

export interface ChatRuntime {
  readonly identity: ChatRuntimeIdentity;
  /**
   * Why this runtime cannot go on from an unfinished reply (`continuing`), as a sentence for the
   * user; absent when it can.
   */
  readonly cannotContinue?: string;
  reply(request: ChatRuntimeRequest): Promise<ChatRuntimeReply>;
  /** Frees the model and any process or connection; further replies reject. Idempotent. */
  dispose(): Promise<void>;
}

/** A runtime failure after some text was produced: the partial reply is kept, marked as cut. */
export class ChatRuntimeError extends Error {
  constructor(
    message: string,
    readonly partial: { text: string; reasoning: string | null },
    /** `cause`: the underlying error (an `LlmError` says whether the endpoint was unreachable). */
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ChatRuntimeError';
  }
}

/** The setting as the system message the trainer's `serve` (and `paper-prompt.ts`) reads. */
export function settingMessage(setting: ChatSetting): ChatRuntimeMessage {
  return { role: 'system', content: `Location: ${setting.location}\nStatus: ${setting.status}` };
}
