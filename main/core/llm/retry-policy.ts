/**
 * `RetryPolicy`: the LLM gateway's retry and rate-limit policy, apart from the gateway's concurrency,
 * records and costs. One instance per gateway: a server's Retry-After holds every call of it.
 *
 * Contract:
 * - Retries: only `LlmError.retryable` errors (429 rate limits without a quota problem, 5xx, 408,
 *   timeouts, dropped connections…; never 400, 401, 403, 404 or cancellation), up to `maxAttempts`
 *   attempts in all, and never once the caller's signal has aborted.
 * - Backoff before attempt n+1 (ms): full jitter `random() * min(maxDelayMs, baseDelayMs * 2^(n-1))`,
 *   but never less than the server's `retryAfterMs`. A `retryAfterMs` longer than `maxRetryAfterMs`
 *   fails the call at once: waiting that long would stall the job.
 * - Retry-After also holds back the start of every other attempt of this gateway until it has passed
 *   (the limit is the server's, not this call's).
 * - Rate: at most `requestsPerMinute` attempt starts in any sliding 60 s window (exact, not a bucket
 *   with a burst allowance). `null`/0 means unlimited.
 * - Abort: every wait ends promptly when the caller's signal aborts, with `LlmError('cancelled')`.
 * - Time: `now` (epoch ms), `sleep` and `random` are injected; defaults are the real ones.
 */
import { clause } from '../../../common/sentence';
import { LlmError, isLlmError } from './types';

export interface RetryPolicyOptions {
  /** Null or 0: unlimited. */
  requestsPerMinute?: number | null;
  /** Attempts in all, first included. Default 5. */
  maxAttempts?: number;
  /** First backoff ceiling, ms (doubled per attempt). Default 1 s. */
  baseDelayMs?: number;
  /** Largest backoff ceiling, ms. Default 60 s. */
  maxDelayMs?: number;
  /** A server asking for a longer wait than this (ms) fails the call. Default 5 minutes. */
  maxRetryAfterMs?: number;
  now?: () => number;
  /** Resolves after `ms`, or rejects promptly when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1): the jitter. */
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

/** The error a call aborted by `signal` rejects with; the reason is kept when it says more than "aborted". */
export function cancelledError(signal: AbortSignal): LlmError {
  const reason: unknown = signal.reason;
  if (isLlmError(reason) && reason.code === 'cancelled') return reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';
  return new LlmError(
    'cancelled',
    `The request was cancelled${why !== '' && !/aborted/i.test(why) ? ` (${why})` : ''}.`,
    { cause: reason },
  );
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

export class RetryPolicy {
  readonly maxAttempts: number;
  readonly maxRetryAfterMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly limiter: SlidingWindowLimiter | null;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  /** Epoch ms before which no attempt starts (a server's Retry-After). */
  private holdUntil = 0;

  constructor(options: RetryPolicyOptions = {}) {
    const rpm = options.requestsPerMinute ?? null;
    if (rpm !== null && (!Number.isInteger(rpm) || rpm < 0))
      throw new RangeError(`requestsPerMinute must be a whole number ≥ 0 (got ${rpm}).`);
    this.limiter = rpm ? new SlidingWindowLimiter(rpm) : null;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.baseDelayMs = options.baseDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
  }

  /** Whether attempt `attempt` (1-based), which failed with `error`, is tried again. */
  willRetry(error: LlmError, attempt: number, signal: AbortSignal): boolean {
    return error.retryable && !signal.aborted && attempt < this.maxAttempts && !this.asksTooLong(error);
  }

  /**
   * What the call rejects with when attempt `attempt` failed with `error` and is not retried: the
   * error itself, or, when a retryable one ran out of attempts or asked to wait too long, the same
   * code with a message saying so (still retryable later, its Retry-After kept).
   */
  finalError(error: LlmError, attempt: number): LlmError {
    const later = {
      retryable: true,
      cause: error,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
    if (this.asksTooLong(error)) {
      return new LlmError(
        error.code,
        `${clause(error.message)}. The server asked to wait ${Math.ceil((error.retryAfterMs ?? 0) / 1000)} s, longer than the ${Math.round(this.maxRetryAfterMs / 1000)} s allowed; try again later.`,
        later,
      );
    }
    if (error.retryable && attempt >= this.maxAttempts && this.maxAttempts > 1)
      return new LlmError(error.code, `${clause(error.message)} (gave up after ${attempt} attempts).`, later);
    return error;
  }

  /**
   * Waits before the attempt after `attempt`, which failed with the retryable `error`: the jittered
   * backoff or the server's Retry-After, whichever is longer; a Retry-After holds every other
   * attempt of this policy too. Rejects with `LlmError('cancelled')` when `signal` aborts.
   */
  async backOff(error: LlmError, attempt: number, signal: AbortSignal): Promise<void> {
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

  /**
   * Waits out any Retry-After hold and for a slot in the rate window, takes the slot and returns the
   * attempt's start time (epoch ms). Rejects with `LlmError('cancelled')` when `signal` aborts.
   */
  async admit(signal: AbortSignal): Promise<number> {
    for (;;) {
      if (signal.aborted) throw cancelledError(signal);
      const now = this.now();
      const wait = this.holdUntil > now ? this.holdUntil - now : (this.limiter?.tryTake(now) ?? 0);
      if (wait === 0) return now;
      try {
        await this.sleep(wait, signal);
      } catch {
        throw cancelledError(signal);
      }
    }
  }

  private asksTooLong(error: LlmError): boolean {
    return error.retryAfterMs !== undefined && error.retryAfterMs > this.maxRetryAfterMs;
  }
}
