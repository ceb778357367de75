import { afterEach, describe, expect, it } from 'vitest';
import { LlmGateway, type CallRecord, type LlmGatewayOptions } from '../../../main/core/llm/gateway';
import { OpenAiCompatibleProvider } from '../../../main/core/llm/openai-provider';
import { LlmError } from '../../../main/core/llm/types';
import { startFakeLlmServer, type FakeLlmServer, type FakeLlmServerOptions } from '../../support/fake-llm-server';
import { PROMPT_MS } from '../../support/ceilings';

let server: FakeLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ask = {
  messages: [
    { role: 'system' as const, content: 'You are a helpful assistant.' },
    { role: 'user' as const, content: 'Write a scene' },
  ],
  temperature: 0.2,
  topP: 0.95,
};

async function setup(
  serverOptions: FakeLlmServerOptions = {},
  gatewayOptions: LlmGatewayOptions = {},
  apiKey = 'test-key',
): Promise<{ s: FakeLlmServer; g: LlmGateway; records: CallRecord[] }> {
  server = await startFakeLlmServer(serverOptions);
  const provider = new OpenAiCompatibleProvider({
    baseURL: server.baseURL,
    apiKey,
    model: 'fake-model',
    firstTokenTimeoutMs: 5_000,
    idleTimeoutMs: 5_000,
  });
  const records: CallRecord[] = [];
  const g = new LlmGateway(provider, {
    baseDelayMs: 5,
    maxDelayMs: 20,
    random: () => 0.5,
    onCall: (r) => void records.push(r),
    ...gatewayOptions,
  });
  return { s: server, g, records };
}

/** Resolves once `condition` holds, checked on every turn of the event loop: a wait on state, not on time. */
async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function failure(p: Promise<unknown>): Promise<LlmError> {
  const e = await p.then(
    () => {
      throw new Error('expected a failure');
    },
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LlmError);
  return e as LlmError;
}

describe('LlmGateway against the fake server through the real client', () => {
  it('retries 500 and 503, then succeeds, recording every attempt with cost', async () => {
    const { s, g, records } = await setup(
      { responder: () => 'one two three' },
      { prices: { 'fake-model': { promptPerMillion: 1_000_000, completionPerMillion: 2_000_000 } } },
    );
    s.enqueueFaults({ kind: 'server_error', status: 500 }, { kind: 'server_error', status: 503 });
    const r = await g.complete(ask, { callId: 'c1', tag: 'scene:7' });
    expect(r).toMatchObject({ text: 'one two three', attempts: 3, callId: 'c1' });
    // 8 prompt words × $1 + 3 completion words × $2 (prices per 1M tokens, scaled for the test)
    expect(r.costUsd).toBe(14);
    expect(records.map((x) => [x.attempt, x.error?.code ?? null, x.willRetry])).toEqual([
      [1, 'server', true],
      [2, 'server', true],
      [3, null, false],
    ]);
    for (const rec of records) {
      expect(rec).toMatchObject({
        callId: 'c1',
        tag: 'scene:7',
        provider: 'openai-compatible:custom',
        model: 'fake-model',
        messages: ask.messages,
        params: { temperature: 0.2, topP: 0.95 },
      });
    }
    expect(records[2]).toMatchObject({
      responseText: 'one two three',
      finishReason: 'stop',
      usage: { promptTokens: 8, completionTokens: 3 },
      costUsd: 14,
      responseModel: 'fake-model',
    });
    expect(records[0]?.responseText).toBeNull();
    expect(s.requests).toHaveLength(3);
    expect(g.stats()).toMatchObject({
      attempts: 3,
      succeeded: 1,
      retries: 2,
      failed: 0,
      promptTokens: 8,
      completionTokens: 3,
      costUsd: 14,
      inFlight: 0,
    });
  });

  it('honours the Retry-After a server sends (ms and seconds) before the next attempt', async () => {
    // The wait itself, the hold on other calls and the backoff schedule: retry-policy.test.ts.
    const { s, g } = await setup({}, { random: () => 0 });
    s.enqueueFaults({ kind: 'rate_limit', retryAfterMs: 200 }, null, { kind: 'rate_limit', retryAfterSeconds: 0.3 });
    expect((await g.complete(ask)).attempts).toBe(2);
    expect((await g.complete(ask)).attempts).toBe(2);
    const times = s.requests.map((x) => x.receivedAt);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(195);
    expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(290);
  });

  it('does not retry a wrong key', async () => {
    const { s, g, records } = await setup({ apiKey: 'right' }, {}, 'wrong-key-value');
    const e = await failure(g.complete(ask));
    expect(e.code).toBe('auth');
    expect(s.requests).toHaveLength(1);
    expect(records).toHaveLength(1);
    expect(records[0]?.error).toMatchObject({ code: 'auth', retryable: false });
    expect(g.stats().failed).toBe(1);
  });

  it('times out a hung call and stops after maxAttempts', async () => {
    const { s, g, records } = await setup({}, { timeoutMs: 150, maxAttempts: 2 });
    s.enqueueFaults({ kind: 'hang' }, { kind: 'hang' });
    const t = Date.now();
    const e = await failure(g.complete(ask));
    expect(e.code).toBe('timeout');
    expect(e.message).toMatch(/gave up after 2 attempts/);
    expect(Date.now() - t).toBeLessThan(PROMPT_MS);
    expect(records.map((r) => r.error?.code)).toEqual(['timeout', 'timeout']);
    expect(new Set(records.map((r) => r.callId)).size).toBe(1);
    expect(s.requests).toHaveLength(2);
  });

  it('cancels running and queued calls quickly', async () => {
    const { s, g, records } = await setup(
      {},
      { maxConcurrency: 1, baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 1 },
    );
    s.enqueueFaults({ kind: 'hang' });
    const c = new AbortController();
    expect(g.busy).toBe(false);
    const running = g.complete(ask, { signal: c.signal });
    const queued = g.complete(ask, { signal: c.signal });
    await until(() => s.requests.length === 1 && g.stats().queued === 1, 'one call running, one queued');
    expect(g.busy).toBe(true);
    const t = Date.now();
    c.abort(new Error('cancelled by user'));
    const [a, b] = await Promise.all([failure(running), failure(queued)]);
    // Far below the 10 s backoff and the hung request: prompt, with room for a loaded machine.
    expect(Date.now() - t).toBeLessThan(PROMPT_MS);
    expect(a.code).toBe('cancelled');
    expect(b.code).toBe('cancelled');
    expect(s.requests).toHaveLength(1);
    expect(records).toHaveLength(1);
    expect(records[0]?.error?.code).toBe('cancelled');
    // Sleeping in backoff or waiting for the rate window: retry-policy.test.ts.
    expect(g.stats()).toMatchObject({ inFlight: 0, queued: 0 });
    expect(g.busy).toBe(false);
  });

  it('respects the concurrency limit', async () => {
    const { s, g } = await setup({ latencyMs: 30 }, { maxConcurrency: 3 });
    const results = await Promise.all(Array.from({ length: 15 }, () => g.complete(ask)));
    expect(results).toHaveLength(15);
    expect(s.maxInFlight).toBe(3);
  });

  it('does not retry non-retryable errors and propagates a failing record hook', async () => {
    const { g, records } = await setup({ models: ['other'] });
    expect((await failure(g.complete(ask))).code).toBe('not_found');
    expect(records).toHaveLength(1);

    const failing = new LlmGateway(
      new OpenAiCompatibleProvider({ baseURL: server!.baseURL, apiKey: 'test-key', model: 'other' }),
      {
        onCall: () => Promise.reject(new Error('disk full')),
      },
    );
    await expect(failing.complete(ask)).rejects.toThrow('disk full');
  });
});
