/**
 * `LlmProvider` for any OpenAI-compatible endpoint (OpenAI, Ollama, LM Studio, llama.cpp server,
 * vLLM, OpenRouter, a custom base URL) through the `openai` package.
 *
 * Contract:
 * - A completion whose caller watches the tokens (`onDelta`) is streamed (SSE), so a server that
 *   stops sending is detected: no first token within `firstTokenTimeoutMs`, or a gap longer than
 *   `idleTimeoutMs` between chunks, rejects with `LlmError('timeout')`; usage comes from the final
 *   chunk (`stream_options.include_usage`). One nobody watches (a generation job's) is answered
 *   whole (`stream: false`): one JSON body instead of a chunk per token, which is most of the
 *   client's CPU at a job's pace; the whole answer must come within `firstTokenTimeoutMs` (the
 *   provider's call timeout). When the server sends no usage it is estimated and flagged
 *   `estimated`.
 * - The client never retries by itself (`maxRetries: 0`): retrying is the gateway's job.
 * - Every failure is an `LlmError` (see `types.ts`); `429` carries `retryAfterMs` from `retry-after-ms`,
 *   `Retry-After` seconds or an HTTP date. A stream that ends without a finish reason is a retryable
 *   `server` error; an empty answer is `empty`; a refusal (the API's `refusal` field or a
 *   `content_filter` finish with no text) is `refused`.
 * - The API key is never logged and is scrubbed from every message this module produces.
 * - `jsonSchema` requests are sent as `response_format: json_schema` only when the endpoint supports
 *   it (preset or `supportsJsonSchema`); otherwise the field is left out and the caller relies on
 *   its prompt and tolerant parsing (`capabilities.jsonSchema` tells which).
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { ProviderPresetInfo } from '../../../common/contract';
import { redactSecrets } from '../redact';
import {
  LlmError,
  isLlmError,
  type CompletionRequest,
  type CompletionResult,
  type ConnectionReport,
  type ConnectionStep,
  type FinishReason,
  type LlmProvider,
  type ProviderCapabilities,
} from './types';
import { clause } from '../../../common/sentence';

export type OpenAiPresetId = 'openai' | 'ollama' | 'lmstudio' | 'llamacpp' | 'vllm' | 'openrouter' | 'custom';

export interface OpenAiPreset {
  id: OpenAiPresetId;
  label: string;
  /** Empty for `custom`: the user must give one. */
  baseURL: string;
  requiresApiKey: boolean;
  /** Honours `response_format: {type: 'json_schema'}`. */
  supportsJsonSchema: boolean;
  /** OpenAI's newer models reject `max_tokens`; local servers know only `max_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** What to tell a person when nothing answers at the base URL. */
  startHint: string;
  /** A model id to start from. */
  exampleModel: string;
}

const NO_MODEL = 'No model is named: enter the model the server should use (a connection test lists them).';

export const OPENAI_PRESETS: Readonly<Record<OpenAiPresetId, OpenAiPreset>> = {
  openai: {
    id: 'openai',
    label: 'OpenAI',
    baseURL: 'https://api.openai.com/v1',
    requiresApiKey: true,
    supportsJsonSchema: true,
    maxTokensField: 'max_completion_tokens',
    startHint: 'Check your internet connection and proxy settings.',
    exampleModel: 'gpt-4o-mini',
  },
  ollama: {
    id: 'ollama',
    label: 'Ollama',
    baseURL: 'http://127.0.0.1:11434/v1',
    requiresApiKey: false,
    supportsJsonSchema: true,
    maxTokensField: 'max_tokens',
    startHint:
      "Start Ollama (run 'ollama serve' or open the Ollama app) and pull the model with 'ollama pull <model>'.",
    exampleModel: 'llama3.1:8b',
  },
  lmstudio: {
    id: 'lmstudio',
    label: 'LM Studio',
    baseURL: 'http://127.0.0.1:1234/v1',
    requiresApiKey: false,
    supportsJsonSchema: true,
    maxTokensField: 'max_tokens',
    startHint: "Open LM Studio, load a model and start the local server (Developer tab, or 'lms server start').",
    exampleModel: 'qwen2.5-7b-instruct',
  },
  llamacpp: {
    id: 'llamacpp',
    label: 'llama.cpp server',
    baseURL: 'http://127.0.0.1:8080/v1',
    requiresApiKey: false,
    supportsJsonSchema: true,
    maxTokensField: 'max_tokens',
    startHint: "Start it with 'llama-server -m <model.gguf> --port 8080'.",
    exampleModel: 'default',
  },
  vllm: {
    id: 'vllm',
    label: 'vLLM',
    baseURL: 'http://127.0.0.1:8000/v1',
    requiresApiKey: false,
    supportsJsonSchema: true,
    maxTokensField: 'max_tokens',
    startHint: "Start it with 'vllm serve <model> --port 8000'.",
    exampleModel: 'Qwen/Qwen2.5-7B-Instruct',
  },
  openrouter: {
    id: 'openrouter',
    label: 'OpenRouter',
    baseURL: 'https://openrouter.ai/api/v1',
    requiresApiKey: true,
    // Depends on the routed model; off by default so requests never fail on an unsupported field.
    supportsJsonSchema: false,
    maxTokensField: 'max_tokens',
    startHint: 'Check your internet connection and proxy settings.',
    exampleModel: 'openai/gpt-4o-mini',
  },
  custom: {
    id: 'custom',
    label: 'Custom (OpenAI-compatible)',
    baseURL: '',
    requiresApiKey: false,
    supportsJsonSchema: false,
    maxTokensField: 'max_tokens',
    startHint: 'Check that the server is running and that the base URL (usually ending in /v1) is right.',
    exampleModel: '',
  },
};

/** The presets in the contract's shape, for `providers/presets`. */
export function openAiPresetInfos(): ProviderPresetInfo[] {
  return Object.values(OPENAI_PRESETS).map((p) => ({
    id: p.id,
    label: p.label,
    kind: 'openai-compatible',
    baseUrl: p.baseURL,
    needsApiKey: p.requiresApiKey,
    supportsJsonSchema: p.supportsJsonSchema,
    exampleModel: p.exampleModel,
  }));
}

export interface OpenAiProviderOptions {
  preset?: OpenAiPresetId;
  /** Defaults to the preset's URL. */
  baseURL?: string;
  apiKey?: string;
  model: string;
  /** Overrides the preset's `supportsJsonSchema`. */
  supportsJsonSchema?: boolean;
  /** Time allowed until the first streamed token (prompt processing included), ms. Default 120 s. */
  firstTokenTimeoutMs?: number;
  /** Longest allowed gap between two chunks once streaming has started, ms. Default 60 s. */
  idleTimeoutMs?: number;
  /** Ask for usage in the last chunk. Default true; turn off for servers that reject `stream_options`. */
  streamUsage?: boolean;
  /** For tests and proxies. */
  fetch?: typeof fetch;
  /** Wall clock in ms, for `Retry-After` dates and latency. Default `Date.now`. */
  now?: () => number;
}

interface HeaderSource {
  get(name: string): string | null;
}

/**
 * Milliseconds the server asks us to wait, from `retry-after-ms`, `Retry-After: <seconds>` or
 * `Retry-After: <HTTP-date>` (relative to `now`); undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: HeaderSource | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Number(ra) * 1000;
  const date = Date.parse(ra);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function mapFinishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'stop' || reason === 'length' || reason === 'content_filter') return reason;
  return 'other';
}

function errorCodeIn(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return undefined;
}

/** 'whole': a request answered whole took longer than the first-token timeout. */
type StallKind = 'first-token' | 'idle' | 'whole';

type RequestBody = Omit<ChatCompletionCreateParamsStreaming, 'stream' | 'stream_options'>;

/** What an answer holds once read, streamed or whole. */
interface Answer {
  text: string;
  reasoning: string;
  refusal: string;
  finish: string | null;
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
}

/**
 * The client's own per-request timeout for answers read whole: far beyond ours (the first-token
 * timeout armed in `complete`, and the gateway's per-attempt timeout), so ours are what apply.
 */
const WHOLE_REQUEST_CLIENT_TIMEOUT_MS = 24 * 3_600_000;

export class OpenAiCompatibleProvider implements LlmProvider {
  readonly id: string;
  readonly model: string;
  readonly capabilities: ProviderCapabilities;
  private readonly preset: OpenAiPreset;
  private readonly baseURL: string;
  private readonly apiKey: string;
  private readonly client: OpenAI;
  private readonly firstTokenTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly streamUsage: boolean;
  private readonly now: () => number;

  constructor(options: OpenAiProviderOptions) {
    this.preset = OPENAI_PRESETS[options.preset ?? 'custom'];
    const baseURL = (options.baseURL ?? this.preset.baseURL).trim().replace(/\/+$/, '');
    if (baseURL === '') {
      throw new LlmError(
        'bad_request',
        `No base URL for ${this.preset.label}: enter the server's OpenAI-compatible URL, usually ending in /v1 (for example http://127.0.0.1:8080/v1).`,
      );
    }
    let parsed: URL;
    try {
      parsed = new URL(baseURL);
    } catch {
      throw new LlmError('bad_request', `'${baseURL}' is not a URL: enter something like http://127.0.0.1:11434/v1.`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new LlmError('bad_request', `The base URL must start with http:// or https:// (got '${parsed.protocol}').`);
    }
    // An empty model is allowed so a connection test can list the models to pick from first;
    // `complete` refuses it.
    this.apiKey = options.apiKey ?? '';
    if (this.preset.requiresApiKey && this.apiKey === '') {
      throw new LlmError('auth', `${this.preset.label} needs an API key: add one in the provider settings.`);
    }
    this.baseURL = baseURL;
    this.model = options.model.trim();
    this.id = `openai-compatible:${this.preset.id}`;
    this.capabilities = { jsonSchema: options.supportsJsonSchema ?? this.preset.supportsJsonSchema };
    this.firstTokenTimeoutMs = options.firstTokenTimeoutMs ?? 120_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.streamUsage = options.streamUsage ?? true;
    this.now = options.now ?? Date.now;
    this.client = new OpenAI({
      baseURL,
      // Local servers take no key, but the client insists on one; it is sent and ignored.
      apiKey: this.apiKey === '' ? 'no-key' : this.apiKey,
      maxRetries: 0,
      timeout: this.firstTokenTimeoutMs,
      logLevel: 'off',
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** The base URL without any credentials, for messages. */
  get endpoint(): string {
    const url = new URL(this.baseURL);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/+$/, '');
  }

  async complete(req: CompletionRequest, signal: AbortSignal): Promise<CompletionResult> {
    if (signal.aborted) throw this.cancelled(signal);
    if (this.model === '') throw new LlmError('bad_request', NO_MODEL);
    const started = this.now();
    const controller = new AbortController();
    let stalled: StallKind | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (kind: StallKind, ms: number): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = kind;
        controller.abort();
      }, ms);
    };
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const streamed = req.onDelta !== undefined;
    arm(streamed ? 'first-token' : 'whole', this.firstTokenTimeoutMs);

    let answer: Answer;
    try {
      answer = streamed
        ? await this.streamAnswer(req, controller.signal, arm)
        : await this.wholeAnswer(req, controller);
    } catch (error) {
      throw this.toLlmError(error, signal, stalled);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    const { text, reasoning, refusal, finish, model, usage } = answer;
    // The client ends iteration quietly when aborted, so the reason is checked here too.
    if (signal.aborted) throw this.cancelled(signal);
    if (stalled !== null) throw this.stallError(stalled);
    if (finish === null) {
      throw new LlmError(
        'server',
        `The connection to ${this.endpoint} closed before the answer was finished (${text.length} characters received). The request will be retried; if this keeps happening, check the server's logs.`,
      );
    }
    if (refusal !== '' || (text === '' && finish === 'content_filter')) {
      throw new LlmError(
        'refused',
        `The model refused this request${refusal !== '' ? `: "${this.redact(refusal.slice(0, 200))}"` : ' (content filter)'}. Rephrase the prompt or use another model.`,
      );
    }
    if (text.trim() === '') {
      if (finish === 'length') {
        throw new LlmError(
          'empty',
          `The model used up its token limit without writing any text (max tokens ${req.maxTokens ?? 'default'}). Raise the maximum tokens for this stage.`,
          { retryable: false },
        );
      }
      throw new LlmError(
        'empty',
        `The model at ${this.endpoint} returned an empty answer. The request will be retried; if this persists, try another model.`,
      );
    }
    const promptChars = req.messages.reduce((n, m) => n + m.content.length, 0);
    return {
      text,
      finishReason: mapFinishReason(finish),
      usage: usage
        ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
        : { promptTokens: Math.ceil(promptChars / 4), completionTokens: Math.ceil(text.length / 4), estimated: true },
      model,
      latencyMs: this.now() - started,
      ...(reasoning !== '' && { reasoning }),
    };
  }

  /**
   * One request, answered whole (`stream: false`): one JSON body to parse instead of a chunk per
   * token, for requests nobody watches. The whole answer must come within the first-token timeout.
   */
  private async wholeAnswer(req: CompletionRequest, controller: AbortController): Promise<Answer> {
    const completion = await this.client.chat.completions.create(
      { ...this.buildBody(req), stream: false },
      // The client's own timer is ours (armed in `complete`), which also covers a body that stalls.
      { signal: controller.signal, timeout: WHOLE_REQUEST_CLIENT_TIMEOUT_MS },
    );
    const choice = completion.choices[0];
    const message = choice?.message as
      { content?: string | null; refusal?: string | null; reasoning_content?: string | null } | undefined;
    return {
      text: message?.content ?? '',
      reasoning: message?.reasoning_content ?? '',
      refusal: message?.refusal ?? '',
      finish: choice?.finish_reason ?? null,
      model: completion.model || this.model,
      usage: completion.usage,
    };
  }

  /** The answer streamed (SSE), each piece passed to `onDelta`; `arm` restarts the stall timer. */
  private async streamAnswer(
    req: CompletionRequest,
    signal: AbortSignal,
    arm: (kind: StallKind, ms: number) => void,
  ): Promise<Answer> {
    const answer: Answer = { text: '', reasoning: '', refusal: '', finish: null, model: this.model, usage: undefined };
    let sawContent = false;
    const body: ChatCompletionCreateParamsStreaming = { ...this.buildBody(req), stream: true };
    if (this.streamUsage) body.stream_options = { include_usage: true };
    const stream = await this.client.chat.completions.create(body, { signal });
    for await (const chunk of stream) {
      if (chunk.model) answer.model = chunk.model;
      if (chunk.usage) answer.usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice) {
        const delta = choice.delta as {
          content?: string | null;
          refusal?: string | null;
          reasoning_content?: string | null;
        };
        if (delta.content) answer.text += delta.content;
        if (delta.reasoning_content) answer.reasoning += delta.reasoning_content;
        if (delta.content) req.onDelta?.({ text: delta.content });
        if (delta.reasoning_content) req.onDelta?.({ reasoning: delta.reasoning_content });
        if (delta.refusal) answer.refusal += delta.refusal;
        if (choice.finish_reason) answer.finish = choice.finish_reason;
      }
      if (!sawContent && (answer.text !== '' || answer.refusal !== '')) sawContent = true;
      arm(sawContent ? 'idle' : 'first-token', sawContent ? this.idleTimeoutMs : this.firstTokenTimeoutMs);
    }
    return answer;
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    try {
      const ids: string[] = [];
      for await (const m of this.client.models.list({ signal })) ids.push(m.id);
      return ids;
    } catch (error) {
      throw this.toLlmError(error, signal, null);
    }
  }

  /** Lists the models, then (with a model named) sends one tiny completion. Never throws but on cancel. */
  async test(signal: AbortSignal): Promise<ConnectionReport> {
    const steps: ConnectionStep[] = [];
    let models: string[] | null = null;
    const report = (ok: boolean, summary: string, error?: LlmError): ConnectionReport => ({
      ok,
      summary,
      endpoint: this.endpoint,
      model: this.model,
      models,
      steps,
      ...(error ? { error: error.toJSON() } : {}),
    });

    let t = this.now();
    try {
      models = await this.listModels(signal);
      steps.push({
        name: 'list-models',
        ok: true,
        message: `The server lists ${models.length} model(s).`,
        latencyMs: this.now() - t,
      });
    } catch (error) {
      const e = this.asLlmError(error, signal);
      if (e.code === 'cancelled') throw e;
      steps.push({ name: 'list-models', ok: false, message: e.message, latencyMs: this.now() - t });
      // Some servers have no /models; anything else means the completion would fail the same way.
      if (e.code !== 'not_found' && e.code !== 'bad_request') return report(false, e.message, e);
    }
    if (this.model === '') {
      // Nothing to complete with yet: the list is the answer, and the user picks from it.
      if (models === null) return report(false, `${this.endpoint} does not list its models. ${NO_MODEL}`);
      return report(
        true,
        models.length > 0
          ? `Connected to ${this.endpoint}; it offers ${models.length} model(s). Pick one, then test again to try a completion.`
          : `Connected to ${this.endpoint}, but it offers no models. Load one on the server, then test again.`,
      );
    }
    if (models !== null) {
      const found = models.includes(this.model);
      const shown = models.slice(0, 10).join(', ') + (models.length > 10 ? ', …' : '');
      steps.push({
        name: 'model-available',
        ok: found,
        message: found
          ? `'${this.model}' is available.`
          : `'${this.model}' is not in the server's list${models.length > 0 ? ` (${shown})` : ''}; trying it anyway.`,
        latencyMs: 0,
      });
    }
    t = this.now();
    try {
      const result = await this.complete(
        { messages: [{ role: 'user', content: 'Reply with the single word OK.' }], maxTokens: 16, temperature: 0 },
        signal,
      );
      steps.push({
        name: 'completion',
        ok: true,
        message: `'${result.model}' answered in ${result.latencyMs} ms.`,
        latencyMs: this.now() - t,
      });
      return report(true, `Connected to ${this.endpoint}; '${result.model}' answered in ${result.latencyMs} ms.`);
    } catch (error) {
      const e = this.asLlmError(error, signal);
      if (e.code === 'cancelled') throw e;
      steps.push({ name: 'completion', ok: false, message: e.message, latencyMs: this.now() - t });
      return report(false, e.message, e);
    }
  }

  /** The request's fields, streamed or not. */
  private buildBody(req: CompletionRequest): RequestBody {
    const body: RequestBody = {
      model: this.model,
      messages: req.messages.map((m) => ({
        role: m.role,
        content: m.content,
        ...(m.name !== undefined && m.role === 'user' && { name: m.name }),
        // Not in OpenAI's types: the field servers that return thoughts apart read back.
        ...(m.reasoning !== undefined && m.role === 'assistant' && { reasoning_content: m.reasoning }),
      })),
    };
    if (req.temperature !== undefined) body.temperature = req.temperature;
    if (req.topP !== undefined) body.top_p = req.topP;
    if (req.seed !== undefined) body.seed = req.seed;
    if (req.maxTokens !== undefined) {
      if (this.preset.maxTokensField === 'max_completion_tokens') body.max_completion_tokens = req.maxTokens;
      else body.max_tokens = req.maxTokens;
    }
    if (req.stop !== undefined && req.stop.length > 0) body.stop = req.stop;
    if (req.jsonSchema && this.capabilities.jsonSchema) {
      body.response_format = {
        type: 'json_schema',
        json_schema: {
          name: req.jsonSchema.name,
          schema: req.jsonSchema.schema as Record<string, unknown>,
          strict: req.jsonSchema.strict ?? false,
        },
      };
    }
    return body;
  }

  private redact(message: string): string {
    const out = redactSecrets(message, [this.apiKey]);
    // Keys some servers echo back, even partially masked.
    return out.replace(/\b(sk|or|gsk|xai)-[A-Za-z0-9_-]{8,}/g, '$1-***');
  }

  private cancelled(signal: AbortSignal): LlmError {
    const reason: unknown = signal.reason;
    const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';
    return new LlmError(
      'cancelled',
      `The request was cancelled${why !== '' && !/aborted/i.test(why) ? ` (${why})` : ''}.`,
      { cause: reason },
    );
  }

  private stallError(kind: StallKind): LlmError {
    if (kind === 'whole') {
      return new LlmError(
        'timeout',
        `${this.endpoint} sent no complete answer within ${Math.round(this.firstTokenTimeoutMs / 1000)} s. The server may be overloaded or still loading the model; it will be retried. Raise the call timeout for slow models.`,
      );
    }
    return kind === 'first-token'
      ? new LlmError(
          'timeout',
          `${this.endpoint} sent nothing for ${Math.round(this.firstTokenTimeoutMs / 1000)} s after the request. The server may be overloaded or still loading the model; it will be retried. Raise the first-token timeout for slow local models.`,
        )
      : new LlmError(
          'timeout',
          `${this.endpoint} stopped sending in the middle of an answer (no data for ${Math.round(this.idleTimeoutMs / 1000)} s). It will be retried.`,
        );
  }

  private asLlmError(error: unknown, signal: AbortSignal): LlmError {
    return isLlmError(error) ? error : this.toLlmError(error, signal, null);
  }

  private toLlmError(error: unknown, signal: AbortSignal, stalled: StallKind | null): LlmError {
    if (isLlmError(error)) return error;
    if (signal.aborted) return this.cancelled(signal);
    if (stalled !== null) return this.stallError(stalled);
    const where = this.endpoint;
    if (error instanceof APIUserAbortError) return this.cancelled(signal);
    if (error instanceof APIConnectionTimeoutError) return this.stallError('first-token');
    if (error instanceof APIConnectionError) {
      const code = errorCodeIn(error.cause);
      switch (code) {
        case 'ECONNREFUSED':
          return new LlmError(
            'network',
            `Nothing is listening at ${where} (connection refused). ${this.preset.startHint}`,
            { cause: error },
          );
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
          return new LlmError(
            'network',
            `The host in ${where} could not be found. Check the base URL and your network connection.`,
            { cause: error },
          );
        case 'ECONNRESET':
        case 'UND_ERR_SOCKET':
        case 'EPIPE':
          return new LlmError('network', `The connection to ${where} was dropped by the server. It will be retried.`, {
            cause: error,
          });
        case 'CERT_HAS_EXPIRED':
        case 'DEPTH_ZERO_SELF_SIGNED_CERT':
        case 'SELF_SIGNED_CERT_IN_CHAIN':
        case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
          return new LlmError(
            'network',
            `The TLS certificate of ${where} is not trusted (${code}). Use a trusted certificate or plain http:// for a local server.`,
            { cause: error, retryable: false },
          );
        default:
          return new LlmError(
            'network',
            `Could not reach ${where}${code ? ` (${code})` : ''}: ${clause(this.redact(error.message))}. Check that the server is running and the base URL is right.`,
            { cause: error },
          );
      }
    }
    if (error instanceof APIError) {
      return this.fromApiError(error as APIError<number | undefined, Headers | undefined>, where);
    }
    if (error instanceof SyntaxError) {
      return new LlmError(
        'server',
        `${where} sent a malformed response (not valid JSON). It will be retried; if this persists, check that the URL points to an OpenAI-compatible API.`,
        { cause: error },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return new LlmError('server', `Unexpected failure talking to ${where}: ${clause(this.redact(message))}.`, {
      cause: error,
    });
  }

  private fromApiError(error: APIError<number | undefined, Headers | undefined>, where: string): LlmError {
    {
      const status = error.status;
      const serverSays = this.redact(error.message.replace(/^\d{3}\s+/, ''));
      if (status === undefined) {
        // An error event inside the stream.
        return new LlmError(
          'server',
          `${where} reported an error while answering: ${serverSays}. It will be retried.`,
          { cause: error },
        );
      }
      if (status === 401 || status === 403) {
        return new LlmError(
          'auth',
          `${where} rejected the API key (HTTP ${status}): ${serverSays}. Check the key in the provider settings${status === 403 ? ' and that it may use this model' : ''}.`,
          { status, cause: error },
        );
      }
      if (status === 404) {
        return new LlmError(
          'not_found',
          `${where} does not know the model '${this.model}' or the endpoint (HTTP 404): ${serverSays}. Check the model name (use "Test connection" to list the models) and that the base URL ends in /v1.`,
          { status, cause: error },
        );
      }
      if (status === 429) {
        if (error.code === 'insufficient_quota') {
          return new LlmError(
            'rate_limited',
            `${where} says the account has no quota left: ${serverSays}. Check your plan and billing.`,
            { status, cause: error, retryable: false },
          );
        }
        const retryAfterMs = parseRetryAfter(error.headers, this.now());
        return new LlmError(
          'rate_limited',
          `${where} is rate limiting requests${retryAfterMs !== undefined ? ` and asks to wait ${Math.ceil(retryAfterMs / 1000)} s` : ''}. Requests will be retried; lower the requests per minute or concurrency to avoid this.`,
          { status, cause: error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
        );
      }
      if (status === 408)
        return new LlmError('timeout', `${where} timed out the request (HTTP 408). It will be retried.`, {
          status,
          cause: error,
        });
      if (status === 400 || status === 413 || status === 422) {
        const hint = /response_format|json_schema/i.test(serverSays)
          ? ' This server does not accept JSON-schema output: turn off "structured output" for this provider.'
          : /context|too long|maximum.*tokens/i.test(serverSays)
            ? ' The prompt is too long for this model: shorten the source chunk or raise the context size.'
            : '';
        return new LlmError('bad_request', `${where} rejected the request (HTTP ${status}): ${serverSays}.${hint}`, {
          status,
          cause: error,
        });
      }
      if (status >= 500 || status === 409) {
        const retryAfterMs = parseRetryAfter(error.headers, this.now());
        return new LlmError(
          'server',
          `${where} had an internal error (HTTP ${status}): ${serverSays}. It will be retried.`,
          { status, cause: error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
        );
      }
      return new LlmError('bad_request', `${where} answered HTTP ${status}: ${serverSays}.`, { status, cause: error });
    }
  }
}
