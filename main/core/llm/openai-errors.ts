/**
 * How the OpenAI-compatible provider's failures read (see `openai-provider.ts` for the contract):
 * every failure of the `openai` client, a stall its stall timer saw, or a cancel becomes an
 * `LlmError` whose message says what happened at which endpoint and what to do, with the API key
 * scrubbed; `429` and `5xx` carry the server's `Retry-After`.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { clause } from '../../../common/sentence';
import { redactSecrets } from '../redact';
import type { OpenAiPreset } from './openai-presets';
import { LlmError, isLlmError } from './types';

/** 'whole': a request answered whole took longer than the first-token timeout. */
export type StallKind = 'first-token' | 'idle' | 'whole';

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

function errorCodeIn(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return undefined;
}

/** What the messages name: the provider as configured. */
export interface ErrorSubject {
  /** The base URL without credentials. */
  endpoint: string;
  model: string;
  preset: OpenAiPreset;
  apiKey: string;
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  /** Wall clock in ms, for `Retry-After` dates. */
  now: () => number;
}

export class OpenAiErrors {
  constructor(private readonly subject: ErrorSubject) {}

  redact(message: string): string {
    const out = redactSecrets(message, [this.subject.apiKey]);
    // Keys some servers echo back, even partially masked.
    return out.replace(/\b(sk|or|gsk|xai)-[A-Za-z0-9_-]{8,}/g, '$1-***');
  }

  cancelled(signal: AbortSignal): LlmError {
    const reason: unknown = signal.reason;
    const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';
    return new LlmError(
      'cancelled',
      `The request was cancelled${why !== '' && !/aborted/i.test(why) ? ` (${why})` : ''}.`,
      { cause: reason },
    );
  }

  stallError(kind: StallKind): LlmError {
    if (kind === 'whole') {
      return new LlmError(
        'timeout',
        `${this.subject.endpoint} sent no complete answer within ${Math.round(this.subject.firstTokenTimeoutMs / 1000)} s. The server may be overloaded or still loading the model; it will be retried. Raise the call timeout for slow models.`,
      );
    }
    return kind === 'first-token'
      ? new LlmError(
          'timeout',
          `${this.subject.endpoint} sent nothing for ${Math.round(this.subject.firstTokenTimeoutMs / 1000)} s after the request. The server may be overloaded or still loading the model; it will be retried. Raise the first-token timeout for slow local models.`,
        )
      : new LlmError(
          'timeout',
          `${this.subject.endpoint} stopped sending in the middle of an answer (no data for ${Math.round(this.subject.idleTimeoutMs / 1000)} s). It will be retried.`,
        );
  }

  asLlmError(error: unknown, signal: AbortSignal): LlmError {
    return isLlmError(error) ? error : this.toLlmError(error, signal, null);
  }

  toLlmError(error: unknown, signal: AbortSignal, stalled: StallKind | null): LlmError {
    if (isLlmError(error)) return error;
    if (signal.aborted) return this.cancelled(signal);
    if (stalled !== null) return this.stallError(stalled);
    const where = this.subject.endpoint;
    if (error instanceof APIUserAbortError) return this.cancelled(signal);
    if (error instanceof APIConnectionTimeoutError) return this.stallError('first-token');
    if (error instanceof APIConnectionError) {
      const code = errorCodeIn(error.cause);
      switch (code) {
        case 'ECONNREFUSED':
          return new LlmError(
            'network',
            `Nothing is listening at ${where} (connection refused). ${this.subject.preset.startHint}`,
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
          `${where} does not know the model '${this.subject.model}' or the endpoint (HTTP 404): ${serverSays}. Check the model name (use "Test connection" to list the models) and that the base URL ends in /v1.`,
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
        const retryAfterMs = parseRetryAfter(error.headers, this.subject.now());
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
        const retryAfterMs = parseRetryAfter(error.headers, this.subject.now());
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
