/**
 * The gateway's retry and rate-limit policy on its own, on a virtual clock (sleeping advances it, so
 * minutes pass at once), with the errors the OpenAI client's HTTP failures really become
 * (`OpenAiErrors`). The whole path through the real client and the fake server is gateway.test.ts.
 */
import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { OpenAiErrors } from '../../../main/core/llm/openai-errors';
import { OPENAI_PRESETS } from '../../../main/core/llm/openai-presets';
import { RetryPolicy, type RetryPolicyOptions } from '../../../main/core/llm/retry-policy';
import { LlmError } from '../../../main/core/llm/types';
import { PROMPT_MS } from '../../support/ceilings';

const START = 1_000_000;

/** A policy on a virtual clock; `slept` lists every wait (ms) it asked for. */
function virtualPolicy(options: RetryPolicyOptions = {}) {
  const clock = { now: START, slept: [] as number[] };
  const policy = new RetryPolicy({
    now: () => clock.now,
    sleep: (ms, signal) => {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      clock.slept.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
    ...options,
  });
  return { policy, clock };
}

const errors = new OpenAiErrors({
  endpoint: 'http://127.0.0.1:9/v1',
  model: 'fake-model',
  preset: OPENAI_PRESETS.custom,
  apiKey: 'test-key',
  firstTokenTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
  now: () => START,
});

/** What an HTTP error answer becomes on its way out of the provider. */
function http(status: number, headers: Record<string, string> = {}, code?: string): LlmError {
  // The JSON body as the server sends it; the client reads its `error` object.
  const body = { error: { message: `status ${status}`, ...(code !== undefined && { code }) } };
  return errors.toLlmError(
    APIError.generate(status, body, undefined, new Headers(headers)),
    new AbortController().signal,
    null,
  );
}

const live = new AbortController().signal;

describe('RetryPolicy', () => {
  it('backs off with full jitter, doubling from baseDelayMs up to maxDelayMs', async () => {
    for (const [jitter, expected] of [
      [1, [100, 200, 400, 800, 1_000, 1_000]],
      [0.5, [50, 100, 200, 400, 500, 500]],
      [0, [0, 0, 0, 0, 0, 0]],
    ] as const) {
      const { policy, clock } = virtualPolicy({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => jitter });
      for (let attempt = 1; attempt <= 6; attempt++) await policy.backOff(http(503), attempt, live);
      expect(clock.slept).toEqual(expected);
    }
  });

  it('retries 429 and 5xx (and 408) up to maxAttempts, never 4xx, a quota 429 or after an abort', () => {
    const { policy } = virtualPolicy({ maxAttempts: 3 });
    for (const status of [429, 500, 502, 503, 408]) {
      expect(policy.willRetry(http(status), 1, live), `HTTP ${status}`).toBe(true);
      expect(policy.willRetry(http(status), 2, live), `HTTP ${status}`).toBe(true);
      expect(policy.willRetry(http(status), 3, live), `HTTP ${status}, last attempt`).toBe(false);
    }
    for (const status of [400, 401, 403, 404, 413, 422]) {
      expect(policy.willRetry(http(status), 1, live), `HTTP ${status}`).toBe(false);
    }
    expect(policy.willRetry(http(429, {}, 'insufficient_quota'), 1, live)).toBe(false);
    const aborted = new AbortController();
    aborted.abort();
    expect(policy.willRetry(http(503), 1, aborted.signal)).toBe(false);
  });

  it('rejects a 4xx as it is, and says when it gave up on a retryable one', () => {
    const { policy } = virtualPolicy({ maxAttempts: 3 });
    const auth = http(401);
    expect(policy.finalError(auth, 1)).toBe(auth);
    const given = policy.finalError(http(503), 3);
    expect(given).toMatchObject({ code: 'server', retryable: true });
    expect(given.message).toMatch(/HTTP 503.*\(gave up after 3 attempts\)\.$/);
    // One attempt in all: nothing was given up, the error stands.
    const once = virtualPolicy({ maxAttempts: 1 }).policy;
    const server = http(500);
    expect(once.willRetry(server, 1, live)).toBe(false);
    expect(once.finalError(server, 1)).toBe(server);
  });

  it('honours Retry-After (seconds or ms) as the least wait, for every other attempt too', async () => {
    const jittered = { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 1 };
    const seconds = virtualPolicy(jittered);
    const limited = http(429, { 'retry-after': '30' });
    expect(limited.retryAfterMs).toBe(30_000);
    await seconds.policy.backOff(limited, 1, live);
    expect(seconds.clock.slept).toEqual([30_000]);

    // A hold set by one call keeps the next attempt of any other call until it has passed.
    const held = virtualPolicy(jittered);
    await held.policy.backOff(http(503, { 'retry-after-ms': '2500' }), 1, live);
    held.clock.now = START + 1_000; // another call arrives while the hold stands
    expect(await held.policy.admit(live)).toBe(START + 2_500);
    expect(held.clock.slept).toEqual([2_500, 1_500]);

    // A backoff longer than the Retry-After wins.
    const short = virtualPolicy(jittered);
    await short.policy.backOff(http(429, { 'retry-after-ms': '10' }), 3, live);
    expect(short.clock.slept).toEqual([400]);
  });

  it('gives up at once when Retry-After is longer than allowed, saying how long was asked', () => {
    const { policy } = virtualPolicy({ maxRetryAfterMs: 1_000 });
    const long = http(429, { 'retry-after': '120' });
    expect(policy.willRetry(long, 1, live)).toBe(false);
    const e = policy.finalError(long, 1);
    expect(e).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 120_000 });
    expect(e.message).toMatch(/asked to wait 120 s, longer than the 1 s allowed; try again later\.$/);
  });

  it('starts at most requestsPerMinute attempts in every sliding 60 s window', async () => {
    const { policy, clock } = virtualPolicy({ requestsPerMinute: 4 });
    const starts: number[] = [];
    for (let i = 0; i < 10; i++) {
      starts.push(await policy.admit(live));
      clock.now += 7_000; // work between starts
    }
    for (const start of starts) {
      expect(starts.filter((x) => x >= start && x < start + 60_000).length).toBeLessThanOrEqual(4);
    }
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(120_000);
    // Unlimited (null or 0): no wait at all.
    for (const requestsPerMinute of [null, 0]) {
      const free = virtualPolicy({ requestsPerMinute });
      for (let i = 0; i < 100; i++) await free.policy.admit(live);
      expect(free.clock.slept).toEqual([]);
    }
    expect(() => new RetryPolicy({ requestsPerMinute: 1.5 })).toThrow(/requestsPerMinute must be a whole number/);
  });

  it('ends a backoff or a rate wait promptly when the caller aborts, as cancelled', async () => {
    // The real sleep: a 10 s backoff and a 60 s rate wait, each cut short by the abort.
    const policy = new RetryPolicy({ baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 1, requestsPerMinute: 1 });
    const c = new AbortController();
    const sleeping = policy.backOff(http(503), 1, c.signal);
    const t = Date.now();
    c.abort(new Error('paused by user'));
    await expect(sleeping).rejects.toMatchObject({
      code: 'cancelled',
      message: 'The request was cancelled (paused by user).',
    });
    expect(Date.now() - t).toBeLessThan(PROMPT_MS);

    await policy.admit(live); // takes the minute's one start
    const c2 = new AbortController();
    const waiting = policy.admit(c2.signal);
    const t2 = Date.now();
    c2.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'cancelled', message: 'The request was cancelled.' });
    expect(Date.now() - t2).toBeLessThan(PROMPT_MS);
    await expect(policy.admit(c2.signal)).rejects.toBeInstanceOf(LlmError);
  });
});
