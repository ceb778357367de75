/**
 * Answers read whole go out without the openai client (`whole-completion.ts`); this holds that path
 * to the client's, against the fake OpenAI-compatible server: for every answer and every failure
 * the server can give, the provider over each path returns the same result or throws the same
 * `LlmError` (code, message, status, retry policy, `Retry-After`), and the two raw calls throw
 * errors of the same class with the same status, body and headers.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { leanFetch } from '../../../main/core/llm/lean-fetch';
import { OpenAiCompatibleProvider } from '../../../main/core/llm/openai-provider';
import type { CompletionRequest } from '../../../main/core/llm/types';
import { REDIRECTED, WholeCompletions } from '../../../main/core/llm/whole-completion';
import { startFakeLlmServer, type FakeFault, type FakeLlmServer } from '../../support/fake-llm-server';

const KEY = 'sk-secret-test-key-0123456789';
const NOW = Date.parse('2025-01-01T00:00:00Z');
const ask: CompletionRequest = { messages: [{ role: 'user', content: 'Tell me about Bonn' }], maxTokens: 64 };
const never = (): AbortSignal => new AbortController().signal;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function fake(options: Parameters<typeof startFakeLlmServer>[0] = {}): Promise<FakeLlmServer> {
  const server = await startFakeLlmServer({ apiKey: KEY, responder: () => 'Bonn lies on the Rhine.', ...options });
  closers.push(() => server.close());
  return server;
}

/** The provider over each path: `client` through the openai client (over `leanFetch`), `direct` without it. */
function providers(
  baseURL: string,
  options: Partial<ConstructorParameters<typeof OpenAiCompatibleProvider>[0]> = {},
): Record<'client' | 'direct', OpenAiCompatibleProvider> {
  const common = { preset: 'custom' as const, baseURL, apiKey: KEY, model: 'fake-model', now: () => NOW, ...options };
  return {
    client: new OpenAiCompatibleProvider({ ...common, fetch: leanFetch() }),
    direct: new OpenAiCompatibleProvider(common),
  };
}

/** What a call came to, as comparable data: the result (latency aside) or the error's public fields. */
async function outcome(call: Promise<unknown>): Promise<unknown> {
  try {
    const result = (await call) as Record<string, unknown>;
    return { result: { ...result, latencyMs: 'any' } };
  } catch (error) {
    const e = error as Record<string, unknown>;
    return {
      error: {
        class: (error as Error).constructor.name,
        code: e['code'],
        message: e['message'],
        status: e['status'],
        retryable: e['retryable'],
        retryAfterMs: e['retryAfterMs'],
      },
    };
  }
}

/** Both providers answer the same request meeting the same fault (or none); returns both outcomes. */
async function both(
  server: FakeLlmServer,
  fault: FakeFault | null,
  p: Record<'client' | 'direct', OpenAiCompatibleProvider>,
  req: CompletionRequest = ask,
  signal: () => AbortSignal = never,
): Promise<{ client: unknown; direct: unknown }> {
  server.enqueueFaults(fault);
  const client = await outcome(p.client.complete(req, signal()));
  server.enqueueFaults(fault);
  const direct = await outcome(p.direct.complete(req, signal()));
  return { client, direct };
}

describe('answers read whole without the openai client', () => {
  it('give the same results as through it, and send the same request', async () => {
    const server = await fake();
    const p = providers(server.baseURL);
    const req: CompletionRequest = {
      ...ask,
      temperature: 0.7,
      topP: 0.9,
      seed: 7,
      stop: ['</scene>'],
      jsonSchema: { name: 'scene', schema: { type: 'object' } },
    };
    const { client, direct } = await both(server, null, p, req);
    expect(direct).toEqual(client);
    expect(direct).toMatchObject({ result: { text: 'Bonn lies on the Rhine.', finishReason: 'stop' } });
    const [a, b] = server.requests.slice(-2);
    expect(b!.chat!.body).toEqual(a!.chat!.body);
    expect(b!.authorized).toBe(true);
    // Refused, cut off at the token limit, empty: read from the body the same way.
    for (const fault of [{ kind: 'refusal' }, { kind: 'truncated' }, { kind: 'empty' }] as FakeFault[]) {
      const outcomes = await both(server, fault, p);
      expect(outcomes.direct, fault.kind).toEqual(outcomes.client);
    }
  });

  it('fail the same way: 429 with Retry-After, 5xx, 400 and 401 with a body, 404, malformed JSON, a reset', async () => {
    const server = await fake();
    const p = providers(server.baseURL);
    const faults: FakeFault[] = [
      { kind: 'rate_limit', retryAfterSeconds: 3 },
      { kind: 'rate_limit', retryAfterMs: 250 },
      { kind: 'rate_limit', retryAfterDate: new Date(NOW + 7_000) },
      { kind: 'rate_limit' },
      { kind: 'server_error', status: 500 },
      { kind: 'server_error', status: 503 },
      { kind: 'echo_key', status: 400 },
      { kind: 'echo_key', status: 401 },
      { kind: 'malformed' },
      { kind: 'reset' },
    ];
    const seen = [];
    for (const fault of faults) {
      const { client, direct } = await both(server, fault, p);
      expect(direct, JSON.stringify(fault)).toEqual(client);
      seen.push(direct);
    }
    expect(seen.slice(0, 4)).toMatchObject([
      { error: { code: 'rate_limited', retryAfterMs: 3_000, status: 429, retryable: true } },
      { error: { retryAfterMs: 250 } },
      { error: { retryAfterMs: 7_000 } },
      { error: { retryAfterMs: undefined } },
    ]);
    expect(seen.slice(4)).toMatchObject([
      { error: { code: 'server', status: 500 } },
      { error: { code: 'server', status: 503 } },
      { error: { code: 'bad_request', status: 400, retryable: false } },
      { error: { code: 'auth', status: 401 } },
      { error: { code: 'server', message: expect.stringMatching(/malformed/) as unknown } },
      { error: { code: 'network' } },
    ]);
    for (const s of seen) expect(JSON.stringify(s)).not.toContain(KEY);
    const other = providers(server.baseURL, { model: 'missing-model' });
    const missing = await both(server, null, other);
    expect(missing.direct).toEqual(missing.client);
    expect(missing.direct).toMatchObject({ error: { code: 'not_found', status: 404 } });
  });

  it('time out and cancel the same way', async () => {
    const server = await fake();
    const p = providers(server.baseURL, { firstTokenTimeoutMs: 150 });
    for (const fault of [{ kind: 'hang' }, { kind: 'stall' }] as FakeFault[]) {
      const { client, direct } = await both(server, fault, p);
      expect(direct).toEqual(client);
      expect(direct).toMatchObject({
        error: { code: 'timeout', message: expect.stringMatching(/no complete answer/) },
      });
    }
    // Cancelled mid-request (the server holds it) and before it leaves.
    const cancel = (): AbortSignal => {
      const c = new AbortController();
      const wait = setInterval(() => {
        if (server.inFlight > 0) {
          clearInterval(wait);
          c.abort(new Error('paused by user'));
        }
      }, 5);
      return c.signal;
    };
    const mid = await both(server, { kind: 'hang' }, p, ask, cancel);
    expect(mid.direct).toEqual(mid.client);
    expect(mid.direct).toMatchObject({
      error: { code: 'cancelled', message: expect.stringMatching(/paused by user/) },
    });
    const before = await both(server, null, p, ask, () => AbortSignal.abort());
    expect(before.direct).toEqual(before.client);
    // Nothing listening.
    await server.close();
    const refused = await both(server, null, p);
    expect(refused.direct).toEqual(refused.client);
    expect(refused.direct).toMatchObject({ error: { code: 'network', message: expect.stringMatching(/refused/) } });
  });

  it('throw the client’s own error classes, with its status, body and headers', async () => {
    const server = await fake();
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: KEY, maxRetries: 0, fetch: leanFetch() });
    const whole = new WholeCompletions(server.baseURL, KEY);
    const body = {
      model: 'fake-model',
      messages: [{ role: 'user' as const, content: 'Hello' }],
      stream: false as const,
    };
    const caught = async (call: Promise<unknown>): Promise<APIError> =>
      call.then(
        () => {
          throw new Error('expected a failure');
        },
        (e: unknown) => e as APIError,
      );
    for (const fault of [
      { kind: 'rate_limit', retryAfterSeconds: 2 },
      { kind: 'server_error', status: 502 },
      { kind: 'echo_key', status: 400 },
    ] as FakeFault[]) {
      server.enqueueFaults(fault, fault);
      const a = await caught(client.chat.completions.create(body));
      const b = await caught(whole.create(body, never()));
      expect(b.constructor).toBe(a.constructor);
      expect(b).toBeInstanceOf(APIError);
      expect([b.status, b.message, b.error, b.code, b.type]).toEqual([a.status, a.message, a.error, a.code, a.type]);
      expect(b.headers?.get('retry-after')).toBe(a.headers?.get('retry-after'));
      expect(b.headers?.get('content-type')).toBe(a.headers?.get('content-type'));
    }
    // The same answer, but for what the server numbers per reply.
    const [a, b] = [await client.chat.completions.create(body), await whole.create(body, never())];
    expect({ ...(b as object), id: a.id, created: a.created }).toEqual(a);
  });

  it('follow a redirect through the client', async () => {
    // Keyless: fetch drops the key when a redirect leaves the origin.
    const server = await fake({ apiKey: null });
    const redirect = createServer((req, res) => {
      res.writeHead(307, { location: `${server.baseURL}${req.url!.replace(/^\/v1/, '')}` }).end();
    });
    await new Promise<void>((resolve) => redirect.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => redirect.close(() => resolve())));
    const at = `http://127.0.0.1:${(redirect.address() as AddressInfo).port}/v1`;
    expect(await new WholeCompletions(at, KEY).create({ model: 'fake-model', messages: [] }, never())).toBe(REDIRECTED);
    const { direct } = providers(at);
    expect((await direct.complete(ask, never())).text).toBe('Bonn lies on the Rhine.');
  });
});
