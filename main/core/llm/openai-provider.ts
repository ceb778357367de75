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
 * - The client never retries by itself (`maxRetries: 0`): retrying is the gateway's job. Answers
 *   read whole skip the client (`whole-completion.ts`: http1.ts, the client's errors; about a
 *   third of the studio's CPU per job item) unless a `fetch` is given; a redirect goes through the
 *   client over `leanFetch`. Streams go through the client over `fetch`.
 * - Every failure is an `LlmError` (see `types.ts`); `429` carries `retryAfterMs` from `retry-after-ms`,
 *   `Retry-After` seconds or an HTTP date. A stream that ends without a finish reason is a retryable
 *   `server` error; an empty answer is `empty`; a refusal (the API's `refusal` field or a
 *   `content_filter` finish with no text) is `refused`.
 * - The API key is never logged and is scrubbed from every message this module produces.
 * - `jsonSchema` requests are sent as `response_format: json_schema` only when the endpoint supports
 *   it (preset or `supportsJsonSchema`); otherwise the field is left out and the caller relies on
 *   its prompt and tolerant parsing (`capabilities.jsonSchema` tells which). The body: `completion-body.ts`.
 * - Presets: `openai-presets.ts`; how failures read: `openai-errors.ts`.
 */
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { counted } from '../../../common/plural';
import { completionBody, type CompletionBody } from './completion-body';
import { leanFetch } from './lean-fetch';
import { OpenAiErrors, type StallKind } from './openai-errors';
import { OPENAI_PRESETS, type OpenAiPreset, type OpenAiPresetId } from './openai-presets';
import { REDIRECTED, WholeCompletions } from './whole-completion';
import {
  LlmError,
  type CompletionRequest,
  type CompletionResult,
  type ConnectionReport,
  type ConnectionStep,
  type FinishReason,
  type LlmProvider,
  type ProviderCapabilities,
} from './types';

const NO_MODEL = 'No model is named: enter the model the server should use (a connection test lists them).';

export interface OpenAiProviderOptions {
  preset?: OpenAiPresetId;
  /** Defaults to the preset's URL. */
  baseURL?: string;
  apiKey?: string;
  model: string;
  /** The studio's name for the provider (`LlmProvider.label`). */
  label?: string;
  /** Overrides the preset's `supportsJsonSchema`. */
  supportsJsonSchema?: boolean;
  /** Overrides the preset's `continues` (the trainer's `serve` takes vLLM's flags). */
  continues?: OpenAiPreset['continues'];
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

function mapFinishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'stop' || reason === 'length' || reason === 'content_filter') return reason;
  return 'other';
}

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
  readonly label?: string;
  readonly model: string;
  readonly capabilities: ProviderCapabilities;
  private readonly preset: OpenAiPreset;
  private readonly baseURL: string;
  private readonly apiKey: string;
  private readonly client: OpenAI;
  /** The client for answers read whole when `whole` cannot carry them (a redirect; a given `fetch`). */
  private readonly wholeClient: OpenAI;
  /** Answers read whole without the client (none when a `fetch` is given: it carries them all). */
  private readonly whole: WholeCompletions | null;
  private readonly firstTokenTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly streamUsage: boolean;
  private readonly now: () => number;
  private readonly errors: OpenAiErrors;

  constructor(options: OpenAiProviderOptions) {
    const preset = OPENAI_PRESETS[options.preset ?? 'custom'];
    this.preset = options.continues === undefined ? preset : { ...preset, continues: options.continues };
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
    if (options.label !== undefined) this.label = options.label;
    this.capabilities = { jsonSchema: options.supportsJsonSchema ?? this.preset.supportsJsonSchema };
    this.firstTokenTimeoutMs = options.firstTokenTimeoutMs ?? 120_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.streamUsage = options.streamUsage ?? true;
    this.now = options.now ?? Date.now;
    const client = (fetch?: typeof globalThis.fetch) =>
      new OpenAI({
        baseURL,
        // Local servers take no key, but the client insists on one; it is sent and ignored.
        apiKey: this.apiKey === '' ? 'no-key' : this.apiKey,
        maxRetries: 0,
        timeout: this.firstTokenTimeoutMs,
        logLevel: 'off',
        // The client refuses to run where a `window` exists, to keep keys out of web pages. This
        // runs only in the studio's own process (Node: Electron's main, `serve`, the CLI), never
        // in a page; a `window` there is a test's DOM (jsdom), where it made every call fail.
        dangerouslyAllowBrowser: true,
        ...(fetch ? { fetch } : {}),
      });
    this.client = client(options.fetch);
    this.wholeClient = options.fetch ? this.client : client(leanFetch());
    this.whole = options.fetch ? null : new WholeCompletions(baseURL, this.apiKey === '' ? 'no-key' : this.apiKey);
    this.errors = new OpenAiErrors({
      endpoint: this.endpoint,
      model: this.model,
      preset: this.preset,
      apiKey: this.apiKey,
      firstTokenTimeoutMs: this.firstTokenTimeoutMs,
      idleTimeoutMs: this.idleTimeoutMs,
      now: this.now,
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
    if (signal.aborted) throw this.errors.cancelled(signal);
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
      throw this.errors.toLlmError(error, signal, stalled);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    const { text, reasoning, refusal, finish, model, usage } = answer;
    // The client ends iteration quietly when aborted, so the reason is checked here too.
    if (signal.aborted) throw this.errors.cancelled(signal);
    if (stalled !== null) throw this.errors.stallError(stalled);
    if (finish === null) {
      throw new LlmError(
        'server',
        `The connection to ${this.endpoint} closed before the answer was finished (${text.length} characters received). The request will be retried; if this keeps happening, check the server's logs.`,
      );
    }
    if (refusal !== '' || (text === '' && finish === 'content_filter')) {
      throw new LlmError(
        'refused',
        `The model refused this request${refusal !== '' ? `: "${this.errors.redact(refusal.slice(0, 200))}"` : ' (content filter)'}. Rephrase the prompt or use another model.`,
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
    const body = { ...this.body(req), stream: false as const };
    let completion = (this.whole ? await this.whole.create(body, controller.signal) : REDIRECTED) as
      ChatCompletion | typeof REDIRECTED;
    if (completion === REDIRECTED) {
      completion = await this.wholeClient.chat.completions.create(
        body,
        // The client's own timer is ours (armed in `complete`), which also covers a body that stalls.
        { signal: controller.signal, timeout: WHOLE_REQUEST_CLIENT_TIMEOUT_MS },
      );
    }
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
    const body: ChatCompletionCreateParamsStreaming = { ...this.body(req), stream: true };
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

  private body(req: CompletionRequest): CompletionBody {
    return completionBody(req, { model: this.model, preset: this.preset, jsonSchema: this.capabilities.jsonSchema });
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    try {
      const ids: string[] = [];
      for await (const m of this.client.models.list({ signal })) ids.push(m.id);
      return ids;
    } catch (error) {
      throw this.errors.toLlmError(error, signal, null);
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
        message: `The server lists ${counted(models.length, 'model')}.`,
        latencyMs: this.now() - t,
      });
    } catch (error) {
      const e = this.errors.asLlmError(error, signal);
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
          ? `Connected to ${this.endpoint}; it offers ${counted(models.length, 'model')}. Pick one, then test again to try a completion.`
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
      const e = this.errors.asLlmError(error, signal);
      if (e.code === 'cancelled') throw e;
      steps.push({ name: 'completion', ok: false, message: e.message, latencyMs: this.now() - t });
      return report(false, e.message, e);
    }
  }
}
