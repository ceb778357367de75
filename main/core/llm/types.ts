/**
 * The LLM layer's vocabulary: one provider interface, its request/result shapes and the one error
 * type every provider throws.
 *
 * Contract:
 * - A provider's `complete` either resolves with a `CompletionResult` whose `text` is non-empty, or
 *   rejects with an `LlmError` (never a raw library error). Cut-off output is a *result* with
 *   `finishReason: 'length'`; the caller decides what to do with it.
 * - `LlmError.message` is written for a person: what went wrong and what to do. It never contains
 *   an API key.
 * - `retryable` says whether the same request may succeed if sent again later; `retryAfterMs` is
 *   the server's own hint (Retry-After) when it gave one.
 * - Units: milliseconds for durations, tokens as reported by the server (or estimated, flagged).
 */

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** User only: who speaks (OpenAI's `name`); the trainer's `serve` renders it as the speaker. */
  name?: string;
  /** Assistant only: thoughts sent back as `reasoning_content` (the trainer's `serve` renders a thinking turn). */
  reasoning?: string;
}

export interface JsonSchemaFormat {
  /** Schema name sent to the provider (letters, digits, `_` and `-`). */
  name: string;
  /** A JSON Schema object. */
  schema: object;
  /** OpenAI's strict mode: every property required, `additionalProperties: false`. Default false. */
  strict?: boolean;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  temperature?: number;
  topP?: number;
  /** Upper bound on generated tokens. */
  maxTokens?: number;
  /** Sampling seed (OpenAI's `seed`), for repeatable replies where the server honours it. */
  seed?: number;
  /**
   * The model may not end its answer: sent as `ignore_eos: true` (llama.cpp server and vLLM honour
   * it; others ignore it), except to a server known to refuse unknown fields (OpenAI).
   */
  ignoreEos?: boolean;
  /** Ask for JSON matching this schema where the provider supports it (see `capabilities`). */
  jsonSchema?: JsonSchemaFormat;
  stop?: string[];
  /**
   * The last message is the assistant's unfinished answer: the model writes on from its last word
   * (an assistant prefix, "prefill"), and the result is only what comes after it.
   */
  continueLast?: boolean;
  /** Each piece of the answer as it streams in: text, or reasoning the server returns apart (`reasoning_content`). */
  onDelta?: (delta: { text?: string; reasoning?: string }) => void;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'other';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** True when the server reported no usage and the numbers are estimates (≈4 characters a token). */
  estimated?: boolean;
}

export interface CompletionResult {
  text: string;
  finishReason: FinishReason;
  usage: TokenUsage;
  /** The model that answered, as the server named it (may differ from the one requested). */
  model: string;
  /** Wall time from sending the request to the last byte, in ms. */
  latencyMs: number;
  /** Reasoning the server returned apart from the answer (`reasoning_content`), when it did. */
  reasoning?: string;
}

export interface ProviderCapabilities {
  /** `response_format: {type: 'json_schema'}` (or an equivalent grammar) is honoured. */
  jsonSchema: boolean;
}

/** One step of a connection check, in the order it ran. */
export interface ConnectionStep {
  name: 'list-models' | 'model-available' | 'completion';
  ok: boolean;
  /** What happened, for a person. */
  message: string;
  latencyMs: number;
}

export interface ConnectionReport {
  ok: boolean;
  /** One line for a person: "Connected to … ; model … answered in 420 ms" or what to fix. */
  summary: string;
  endpoint: string;
  model: string;
  /** Model ids the server listed; null when listing failed or is not supported. */
  models: string[] | null;
  steps: ConnectionStep[];
  /** The first failure, as it would be thrown by `complete`. */
  error?: { code: LlmErrorCode; message: string };
}

export interface LlmProvider {
  /** Short identifier used in call records, e.g. `openai-compatible:ollama`. */
  readonly id: string;
  /**
   * The studio's name for it (a Settings provider's name), recorded with each call for provenance;
   * absent for a provider the studio made itself (the server of a trained run).
   */
  readonly label?: string;
  /** The model requests go to. */
  readonly model: string;
  readonly capabilities: ProviderCapabilities;
  complete(req: CompletionRequest, signal: AbortSignal): Promise<CompletionResult>;
  listModels(signal: AbortSignal): Promise<string[]>;
  /** Never rejects (except on abort): failures are reported in the `ConnectionReport`. */
  test(signal: AbortSignal): Promise<ConnectionReport>;
}

export type LlmErrorCode =
  | 'auth'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'bad_request'
  | 'not_found'
  | 'refused'
  | 'empty'
  | 'cancelled';

/** Whether each code is worth retrying by default. */
export const RETRYABLE_BY_DEFAULT: Readonly<Record<LlmErrorCode, boolean>> = {
  auth: false,
  rate_limited: true,
  server: true,
  timeout: true,
  network: true,
  bad_request: false,
  not_found: false,
  refused: false,
  empty: true,
  cancelled: false,
};

export interface LlmErrorOptions {
  retryable?: boolean;
  retryAfterMs?: number;
  /** HTTP status when the error came from a response. */
  status?: number;
  cause?: unknown;
}

export class LlmError extends Error {
  readonly code: LlmErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;

  constructor(code: LlmErrorCode, message: string, options: LlmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT[code];
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }

  toJSON(): { code: LlmErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isLlmError(value: unknown): value is LlmError {
  return value instanceof LlmError;
}

/** Per-model prices in US dollars per one million tokens. */
export interface ModelPrice {
  promptPerMillion: number;
  completionPerMillion: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** Cost of one call in US dollars, or null when the model has no price in the table. */
export function costOf(prices: PriceTable, model: string, usage: TokenUsage): number | null {
  const price = prices[model];
  if (price === undefined) return null;
  return (
    (usage.promptTokens * price.promptPerMillion + usage.completionTokens * price.completionPerMillion) / 1_000_000
  );
}
