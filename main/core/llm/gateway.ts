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
 * - Rate and retries: `RetryPolicy` (retry-policy.ts) decides which failures are tried again, how
 *   long to back off (full jitter, never less than a server's Retry-After, which holds every call of
 *   this gateway), when to give up, and when an attempt may start (`requestsPerMinute`).
 * - Timeout: each attempt is aborted after `timeoutMs` (error `timeout`, retryable).
 * - Abort: the caller's signal cancels queued, sleeping and running work promptly with
 *   `LlmError('cancelled')`; the job engine uses it for both pause and cancel.
 * - `onStart` receives each attempt just before it is sent (after the concurrency and rate waits),
 *   so a caller can put it on record first: a process killed mid-call still leaves a trace of a
 *   call the provider may bill. If it throws, the attempt is not sent and `complete` rejects with
 *   that error.
 * - `onCall` receives one record per attempt, failures included, in attempt order, before
 *   `complete` settles. It may return a promise; it is awaited.
 * - Time: `now` (ms), `sleep` and `random` are injected (the policy's options); defaults are the real ones.
 */
import { timeOrderedId } from '../ids';
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
import { RetryPolicy, cancelledError, type RetryPolicyOptions } from './retry-policy';

export interface CallParams {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  ignoreEos?: boolean;
  stop?: string[];
  /** The call went on from an unfinished assistant message (Continue). */
  continueLast?: boolean;
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
  /** The provider's `label` (the studio's name for it), when it has one. */
  providerLabel?: string;
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
  'callId' | 'attempt' | 'provider' | 'providerLabel' | 'model' | 'params' | 'messages' | 'startedAt' | 'tag'
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

/** The gateway's own settings; retry, backoff and rate settings (and the clock) are the policy's. */
export interface LlmGatewayOptions extends RetryPolicyOptions {
  maxConcurrency?: number;
  /** Per attempt, ms. Default 10 minutes (long local generations). */
  timeoutMs?: number;
  prices?: PriceTable;
  onStart?: (record: StartedCall) => void | Promise<void>;
  onCall?: (record: CallRecord) => void | Promise<void>;
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

export class LlmGateway {
  private readonly provider: LlmProvider;
  private readonly semaphore: Semaphore;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly prices: PriceTable;
  private readonly onStart: ((record: StartedCall) => void | Promise<void>) | undefined;
  private readonly onCall: ((record: CallRecord) => void | Promise<void>) | undefined;
  private readonly now: () => number;
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
    this.policy = new RetryPolicy(options);
    this.provider = provider;
    this.semaphore = new Semaphore(maxConcurrency);
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.prices = options.prices ?? {};
    this.onStart = options.onStart;
    this.onCall = options.onCall;
    this.now = options.now ?? Date.now;
  }

  get model(): string {
    return this.provider.model;
  }

  /** Whether a call is out or waiting for a slot. */
  get busy(): boolean {
    return this.counters.inFlight > 0 || this.semaphore.queued > 0;
  }

  stats(): GatewayStats {
    return { ...this.counters, queued: this.semaphore.queued };
  }

  async complete(req: CompletionRequest, options: CompleteOptions = {}): Promise<GatewayResult> {
    const signal = options.signal ?? new AbortController().signal;
    const callId = options.callId ?? timeOrderedId();
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
        startedAt = await this.policy.admit(signal);
      } catch (error) {
        this.semaphore.release();
        throw error;
      }
      // What every record of this attempt says, from its start to its answer or error.
      const started: StartedCall = {
        callId,
        attempt,
        provider: this.provider.id,
        ...(this.provider.label !== undefined && { providerLabel: this.provider.label }),
        model: this.provider.model,
        params,
        messages: req.messages,
        startedAt,
        ...(options.tag !== undefined ? { tag: options.tag } : {}),
      };
      try {
        await this.onStart?.(started);
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
          ...started,
          responseModel: r.model,
          responseText: r.text,
          finishReason: r.finishReason,
          usage: r.usage,
          costUsd,
          latencyMs: r.latencyMs,
          error: null,
          willRetry: false,
        });
        return { ...r, callId, attempts: attempt, costUsd };
      }

      const error = outcome.error;
      const willRetry = this.policy.willRetry(error, attempt, signal);
      await this.emit({
        ...started,
        responseModel: null,
        responseText: null,
        finishReason: null,
        usage: null,
        costUsd: null,
        latencyMs: this.now() - startedAt,
        error: { code: error.code, message: error.message, retryable: error.retryable },
        willRetry,
      });
      if (!willRetry) {
        this.counters.failed++;
        throw this.policy.finalError(error, attempt);
      }
      this.counters.retries++;
      await this.policy.backOff(error, attempt, signal);
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
  if (req.continueLast) p.continueLast = true;
  if (req.jsonSchema !== undefined) p.jsonSchema = req.jsonSchema.name;
  return p;
}
