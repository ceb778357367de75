/**
 * `LlmGateway`: the one door every LLM call of a job goes through. It wraps one `LlmProvider` and adds
 * a concurrency cap, a requests-per-minute cap, a per-attempt timeout, retries and a call record per
 * attempt (provenance), plus cost from an injected price table.
 *
 * Contract:
 * - `complete` resolves with the provider's result plus `attempts` and `costUsd`, or rejects with an
 *   `LlmError` (the last attempt's) — or with whatever `onCall` threw (a record that cannot be saved
 *   stops the call: provenance is not optional).
 * - Concurrency: at most `maxConcurrency` attempts run at once; waiters are served first come, first
 *   served. A slot is released during backoff so other work proceeds.
 * - Rate: at most `requestsPerMinute` attempt starts in any sliding 60 s window (exact, not a bucket
 *   with a burst allowance). `null`/0 means unlimited.
 * - Retries: only `LlmError.retryable` errors, up to `maxAttempts` attempts in all. Delay before
 *   attempt n+1 is full jitter `random() * min(maxDelayMs, baseDelayMs * 2^(n-1))`, but never less
 *   than the server's `retryAfterMs`; a `Retry-After` also holds back every other call of this
 *   gateway until it has passed (the limit is the server's, not this call's). A `retryAfterMs` longer
 *   than `maxRetryAfterMs` fails the call at once, since waiting that long would stall the job.
 * - Timeout: each attempt is aborted after `timeoutMs` (error `timeout`, retryable).
 * - Abort: the caller's signal cancels queued, sleeping and running work promptly with
 *   `LlmError('cancelled')`; the job engine uses it for both pause and cancel.
 * - `onStart` receives each attempt just before it is sent (after the concurrency and rate waits),
 *   so a caller can put it on record first: a process killed mid-call still leaves a trace of a
 *   call the provider may bill. If it throws, the attempt is not sent and `complete` rejects with
 *   that error.
 * - `onCall` receives one record per attempt, failures included, in attempt order, before
 *   `complete` settles. It may return a promise; it is awaited.
 * - Time: `now` (ms), `sleep` and `random` are injected; defaults are the real ones.
 */
import { randomUUID } from 'node:crypto';
import {
  LlmError,
  costOf,
  isLlmError,
  type ChatMessage,
  type CompletionRequest,
  type CompletionResult,
  type FinishReason,
  type LlmErrorCode,
  type LlmProvider,
  type PriceTable,
  type TokenUsage,
} from './types';
import { clause } from '../../../common/sentence';

export interface CallParams {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  ignoreEos?: boolean;
  stop?: string[];
  /** Name of the JSON schema requested, if any (the schema itself belongs to the caller's prompt version). */
  jsonSchema?: string;
}

/** One attempt, as persisted for provenance. */
export interface CallRecord {
  /** Groups the attempts of one `complete` call; from the caller or generated. */
  callId: string;
  /** 1-based. */
  attempt: number;
  provider: string;
  /** The model requested; `responseModel` is what the server says answered. */
  model: string;
  responseModel: string | null;
  params: CallParams;
  messages: ChatMessage[];
  responseText: string | null;
  finishReason: FinishReason | null;
  usage: TokenUsage | null;
  costUsd: number | null;
  latencyMs: number;
  /** Epoch ms when the attempt was sent. */
  startedAt: number;
  error: { code: LlmErrorCode; message: string; retryable: boolean } | null;
  /** Whether the gateway will try again after this attempt. */
  willRetry: boolean;
  /** Caller-supplied link to what the call produces (job id, work item id…). */
  tag?: string;
}

/** An attempt about to be sent: what is known before the answer. */
export type StartedCall = Pick<
  CallRecord,
  'callId' | 'attempt' | 'provider' | 'model' | 'params' | 'messages' | 'startedAt' | 'tag'
>;

export interface GatewayResult extends CompletionResult {
  callId: string;
  attempts: number;
  /** Dollars for the successful attempt; null when the model has no price. */
  costUsd: number | null;
}

export interface CompleteOptions {
  signal?: AbortSignal;
  callId?: string;
  tag?: string;
  /** Overrides the gateway's per-attempt timeout. */
  timeoutMs?: number;
}

export interface GatewayStats {
  inFlight: number;
  queued: number;
  attempts: number;
  succeeded: number;
  failed: number;
  retries: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface LlmGatewayOptions {
  maxConcurrency?: number;
  /** Null or 0: unlimited. */
  requestsPerMinute?: number | null;
  /** Per attempt, ms. Default 10 minutes (long local generations). */
  timeoutMs?: number;
  /** Attempts in all, first included. Default 5. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A server asking for a longer wait than this fails the call. Default 5 minutes. */
  maxRetryAfterMs?: number;
  prices?: PriceTable;
  onStart?: (record: StartedCall) => void | Promise<void>;
  onCall?: (record: CallRecord) => void | Promise<void>;
  now?: () => number;
  /** Resolves after `ms`, or rejects promptly when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

const WINDOW_MS = 60_000;

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  settled: boolean;
}

/** FIFO counting semaphore; O(1) acquire and release, abort-aware. */
class Semaphore {
  private available: number;
  private readonly queue: (Waiter | undefined)[] = [];
  private head = 0;
  private waiting = 0;

  constructor(permits: number) {
    this.available = permits;
  }

  get queued(): number {
    return this.waiting;
  }

  acquire(signal: AbortSignal): Promise<void> {
    if (this.available > 0 && this.waiting === 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, settled: false };
      const onAbort = (): void => {
        if (waiter.settled) return;
        waiter.settled = true;
        this.waiting--;
        reject(signal.reason as Error);
      };
      waiter.resolve = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.waiting++;
    });
  }

  release(): void {
    while (this.head < this.queue.length) {
      const next = this.queue[this.head];
      this.queue[this.head] = undefined;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (next && !next.settled) {
        next.settled = true;
        this.waiting--;
        next.resolve();
        return;
      }
    }
    this.available++;
  }
}

/** At most `limit` starts in any sliding window; a ring of the last `limit` start times. */
class SlidingWindowLimiter {
  private readonly starts: number[];
  private next = 0;
  private count = 0;

  constructor(private readonly limit: number) {
    this.starts = new Array<number>(limit).fill(0);
  }

  /** Records a start and returns 0, or returns the ms to wait before trying again. */
  tryTake(now: number): number {
    if (this.count < this.limit) {
      this.starts[this.next] = now;
      this.next = (this.next + 1) % this.limit;
      this.count++;
      return 0;
    }
    const oldest = this.starts[this.next] ?? 0;
    const wait = oldest + WINDOW_MS - now;
    if (wait > 0) return wait;
    this.starts[this.next] = now;
    this.next = (this.next + 1) % this.limit;
    return 0;
  }
}

export class LlmGateway {
  private readonly provider: LlmProvider;
  private readonly semaphore: Semaphore;
  private readonly limiter: SlidingWindowLimiter | null;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly prices: PriceTable;
  private readonly onStart: ((record: StartedCall) => void | Promise<void>) | undefined;
  private readonly onCall: ((record: CallRecord) => void | Promise<void>) | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  /** Epoch ms before which no attempt starts (a server's Retry-After). */
  private holdUntil = 0;
  private readonly counters: GatewayStats = {
    inFlight: 0,
    queued: 0,
    attempts: 0,
    succeeded: 0,
    failed: 0,
    retries: 0,
    promptTokens: 0,
    completionTokens: 0,
    costUsd: 0,
  };

  constructor(provider: LlmProvider, options: LlmGatewayOptions = {}) {
    const maxConcurrency = options.maxConcurrency ?? 4;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)
      throw new RangeError(`maxConcurrency must be a whole number ≥ 1 (got ${maxConcurrency}).`);
    const rpm = options.requestsPerMinute ?? null;
    if (rpm !== null && (!Number.isInteger(rpm) || rpm < 0))
      throw new RangeError(`requestsPerMinute must be a whole number ≥ 0 (got ${rpm}).`);
    this.provider = provider;
    this.semaphore = new Semaphore(maxConcurrency);
    this.limiter = rpm ? new SlidingWindowLimiter(rpm) : null;
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.baseDelayMs = options.baseDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
    this.prices = options.prices ?? {};
    this.onStart = options.onStart;
    this.onCall = options.onCall;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
  }

  get model(): string {
    return this.provider.model;
  }

  stats(): GatewayStats {
    return { ...this.counters, queued: this.semaphore.queued };
  }

  async complete(req: CompletionRequest, options: CompleteOptions = {}): Promise<GatewayResult> {
    const signal = options.signal ?? new AbortController().signal;
    const callId = options.callId ?? randomUUID();
    const params = paramsOf(req);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.semaphore.acquire(signal);
      } catch {
        throw cancelledError(signal);
      }
      let outcome: { result: CompletionResult } | { error: LlmError };
      let startedAt: number;
      try {
        startedAt = await this.waitForRate(signal);
      } catch {
        this.semaphore.release();
        throw cancelledError(signal);
      }
      try {
        await this.onStart?.({
          callId,
          attempt,
          provider: this.provider.id,
          model: this.provider.model,
          params,
          messages: req.messages,
          startedAt,
          ...(options.tag !== undefined ? { tag: options.tag } : {}),
        });
      } catch (error) {
        this.semaphore.release();
        throw error;
      }
      this.counters.inFlight++;
      this.counters.attempts++;
      try {
        outcome = { result: await this.attempt(req, signal, options.timeoutMs ?? this.timeoutMs) };
      } catch (error) {
        outcome = {
          error: isLlmError(error)
            ? error
            : new LlmError(
                'server',
                `The provider failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
                { cause: error },
              ),
        };
      } finally {
        this.counters.inFlight--;
        this.semaphore.release();
      }

      if ('result' in outcome) {
        const r = outcome.result;
        const costUsd = costOf(this.prices, this.provider.model, r.usage);
        this.counters.succeeded++;
        this.counters.promptTokens += r.usage.promptTokens;
        this.counters.completionTokens += r.usage.completionTokens;
        if (costUsd !== null) this.counters.costUsd += costUsd;
        await this.emit({
          callId,
          attempt,
          provider: this.provider.id,
          model: this.provider.model,
          responseModel: r.model,
          params,
          messages: req.messages,
          responseText: r.text,
          finishReason: r.finishReason,
          usage: r.usage,
          costUsd,
          latencyMs: r.latencyMs,
          startedAt,
          error: null,
          willRetry: false,
          ...(options.tag !== undefined ? { tag: options.tag } : {}),
        });
        return { ...r, callId, attempts: attempt, costUsd };
      }

      const error = outcome.error;
      const tooLong = error.retryAfterMs !== undefined && error.retryAfterMs > this.maxRetryAfterMs;
      const willRetry = error.retryable && !signal.aborted && attempt < this.maxAttempts && !tooLong;
      await this.emit({
        callId,
        attempt,
        provider: this.provider.id,
        model: this.provider.model,
        responseModel: null,
        params,
        messages: req.messages,
        responseText: null,
        finishReason: null,
        usage: null,
        costUsd: null,
        latencyMs: this.now() - startedAt,
        startedAt,
        error: { code: error.code, message: error.message, retryable: error.retryable },
        willRetry,
        ...(options.tag !== undefined ? { tag: options.tag } : {}),
      });
      if (!willRetry) {
        this.counters.failed++;
        if (tooLong) {
          throw new LlmError(
            error.code,
            `${clause(error.message)}. The server asked to wait ${Math.ceil((error.retryAfterMs ?? 0) / 1000)} s, longer than the ${Math.round(this.maxRetryAfterMs / 1000)} s allowed; try again later.`,
            {
              retryable: true,
              cause: error,
              ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
            },
          );
        }
        if (error.retryable && attempt >= this.maxAttempts && this.maxAttempts > 1) {
          throw new LlmError(error.code, `${clause(error.message)} (gave up after ${attempt} attempts).`, {
            retryable: true,
            cause: error,
            ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
          });
        }
        throw error;
      }
      this.counters.retries++;
      const backoff = this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
      let delay = backoff;
      if (error.retryAfterMs !== undefined) {
        delay = Math.max(error.retryAfterMs, backoff);
        this.holdUntil = Math.max(this.holdUntil, this.now() + error.retryAfterMs);
      }
      try {
        await this.sleep(delay, signal);
      } catch {
        throw cancelledError(signal);
      }
    }
  }

  /** Waits for the Retry-After hold and a rate-window slot, records the start and returns its time. */
  private async waitForRate(signal: AbortSignal): Promise<number> {
    for (;;) {
      if (signal.aborted) throw cancelledError(signal);
      const now = this.now();
      if (this.holdUntil > now) {
        await this.sleep(this.holdUntil - now, signal);
        continue;
      }
      if (this.limiter === null) return now;
      const wait = this.limiter.tryTake(now);
      if (wait === 0) return now;
      await this.sleep(wait, signal);
    }
  }

  private async attempt(req: CompletionRequest, signal: AbortSignal, timeoutMs: number): Promise<CompletionResult> {
    if (signal.aborted) throw cancelledError(signal);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.provider.complete(req, controller.signal);
    } catch (error) {
      if (signal.aborted) throw cancelledError(signal);
      if (timedOut) {
        throw new LlmError(
          'timeout',
          `No complete answer from ${this.provider.id} (${this.provider.model}) within ${Math.round(timeoutMs / 1000)} s. It will be retried; raise the call timeout for slow models.`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async emit(record: CallRecord): Promise<void> {
    if (!this.onCall) return;
    const pending = this.onCall(record);
    if (pending !== undefined) await pending;
  }
}

function paramsOf(req: CompletionRequest): CallParams {
  const p: CallParams = {};
  if (req.temperature !== undefined) p.temperature = req.temperature;
  if (req.topP !== undefined) p.topP = req.topP;
  if (req.maxTokens !== undefined) p.maxTokens = req.maxTokens;
  if (req.seed !== undefined) p.seed = req.seed;
  if (req.ignoreEos) p.ignoreEos = true;
  if (req.stop !== undefined) p.stop = req.stop;
  if (req.jsonSchema !== undefined) p.jsonSchema = req.jsonSchema.name;
  return p;
}

function cancelledError(signal: AbortSignal): LlmError {
  const reason: unknown = signal.reason;
  if (isLlmError(reason) && reason.code === 'cancelled') return reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';
  return new LlmError(
    'cancelled',
    `The request was cancelled${why !== '' && !/aborted/i.test(why) ? ` (${why})` : ''}.`,
    { cause: reason },
  );
}
