import { afterEach, describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../main/core/llm/openai-errors';
import { OpenAiCompatibleProvider } from '../../../main/core/llm/openai-provider';
import { OPENAI_PRESETS } from '../../../main/core/llm/openai-presets';
import { LlmError, type CompletionResult } from '../../../main/core/llm/types';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { PROMPT_MS } from '../../support/ceilings';

let server: FakeLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const KEY = 'sk-secret-test-key-0123456789';
const ask = { messages: [{ role: 'user' as const, content: 'Tell me about Bonn' }] };
const never = (): AbortSignal => new AbortController().signal;
/** A request whose tokens someone watches (and so is streamed); `pieces` collects them. */
const watched = (pieces: string[] = []) => ({ ...ask, onDelta: (d: { text?: string }) => pieces.push(d.text ?? '') });

async function setup(
  opts: Parameters<typeof startFakeLlmServer>[0] = {},
  provider: Partial<ConstructorParameters<typeof OpenAiCompatibleProvider>[0]> = {},
): Promise<{ s: FakeLlmServer; p: OpenAiCompatibleProvider }> {
  server = await startFakeLlmServer({ apiKey: KEY, ...opts });
  const p = new OpenAiCompatibleProvider({
    preset: 'custom',
    baseURL: server.baseURL,
    apiKey: KEY,
    model: 'fake-model',
    ...provider,
  });
  return { s: server, p };
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

/** The answer to `ask` from a server answering 'Bonn lies on the Rhine.', usage as the server counted it. */
function expectBonn(r: CompletionResult): void {
  expect(r).toMatchObject({
    text: 'Bonn lies on the Rhine.',
    finishReason: 'stop',
    model: 'fake-model',
    usage: { promptTokens: 4, completionTokens: 5 },
  });
  expect(r.usage.estimated).toBeUndefined();
}

describe('OpenAiCompatibleProvider', () => {
  it('streams a watched completion and maps params, usage and finish reason', async () => {
    const { s, p } = await setup({ responder: () => 'Bonn lies on the Rhine.' });
    const pieces: string[] = [];
    const r = await p.complete(
      { ...watched(pieces), temperature: 0.2, topP: 0.95, maxTokens: 300, stop: ['<|eot|>'] },
      never(),
    );
    expect(pieces.join('')).toBe('Bonn lies on the Rhine.');
    expect(pieces.length).toBeGreaterThan(1);
    expectBonn(r);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(s.requests[0]?.chat).toMatchObject({
      stream: true,
      includeUsage: true,
      temperature: 0.2,
      top_p: 0.95,
      max_tokens: 300,
      stop: ['<|eot|>'],
    });
  });

  it('asks for an unwatched completion whole, with the same result', async () => {
    const { s, p } = await setup({ responder: () => 'Bonn lies on the Rhine.' });
    const r = await p.complete({ ...ask, temperature: 0.2, maxTokens: 300 }, never());
    expectBonn(r);
    expect(s.requests[0]?.chat).toMatchObject({
      stream: false,
      includeUsage: false,
      temperature: 0.2,
      max_tokens: 300,
    });
    expect(s.requests[0]?.chat?.body).not.toHaveProperty('stream_options');
    s.enqueueFaults({ kind: 'truncated' });
    expect(await p.complete(ask, never())).toMatchObject({ finishReason: 'length', text: 'Bonn lies o' });
    s.enqueueFaults({ kind: 'refusal' });
    expect((await failure(p.complete(ask, never()))).code).toBe('refused');
  });

  it('reports cut-off output as finishReason length', async () => {
    const { s, p } = await setup({ responder: () => 'one two three four' });
    s.enqueueFaults({ kind: 'truncated' });
    const r = await p.complete(ask, never());
    expect(r.finishReason).toBe('length');
    expect(r.text).toBe('one two t');
  });

  it('asks a local server never to end (ignore_eos), and OpenAI, which refuses unknown fields, not', async () => {
    const { s, p } = await setup({ responder: () => 'Bonn lies on the Rhine.' }, { preset: 'llamacpp' });
    await p.complete({ ...ask, ignoreEos: true }, never());
    await p.complete(ask, never());
    expect(s.requests[0]?.chat?.body).toHaveProperty('ignore_eos', true);
    expect(s.requests[1]?.chat?.body).not.toHaveProperty('ignore_eos');
    const openai = new OpenAiCompatibleProvider({
      preset: 'openai',
      baseURL: s.baseURL,
      apiKey: KEY,
      model: 'fake-model',
    });
    await openai.complete({ ...ask, ignoreEos: true }, never());
    expect(s.requests[2]?.chat?.body).not.toHaveProperty('ignore_eos');
  });

  it('continues a final assistant message: vLLM told so by its flags, a prefill server as it is', async () => {
    const { s, p } = await setup({ responder: () => 'the Rhine.' }, { preset: 'vllm' });
    const unfinished = {
      ...ask,
      messages: [...ask.messages, { role: 'assistant' as const, content: 'Bonn lies on' }],
      continueLast: true,
    };
    await p.complete(unfinished, never());
    expect(s.requests[0]?.chat?.body).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
    expect(s.requests[0]?.chat?.messages.at(-1)).toEqual({ role: 'assistant', content: 'Bonn lies on' });
    const llamacpp = new OpenAiCompatibleProvider({
      preset: 'llamacpp',
      baseURL: s.baseURL,
      apiKey: KEY,
      model: 'fake-model',
    });
    await llamacpp.complete(unfinished, never());
    expect(s.requests[1]?.chat?.body).not.toHaveProperty('continue_final_message');
    expect(s.requests[1]?.chat?.messages.at(-1)).toEqual({ role: 'assistant', content: 'Bonn lies on' });
  });

  it('sends json_schema only where supported', async () => {
    const schema = { name: 'scenes', schema: { type: 'object', properties: { scenes: { type: 'array' } } } };
    const { s, p } = await setup({}, { supportsJsonSchema: true });
    await p.complete({ ...ask, jsonSchema: schema }, never());
    expect(s.requests[0]?.chat?.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'scenes', schema: schema.schema, strict: false },
    });
    const plain = new OpenAiCompatibleProvider({ baseURL: s.baseURL, apiKey: KEY, model: 'fake-model' });
    expect(plain.capabilities.jsonSchema).toBe(false);
    await plain.complete({ ...ask, jsonSchema: schema }, never());
    expect(s.requests[1]?.chat?.response_format).toBeUndefined();
  });

  it('estimates usage when the server sends none', async () => {
    const { p } = await setup({ responder: () => 'abcdefgh' }, { streamUsage: false });
    const r = await p.complete(watched(), never());
    expect(r.usage).toEqual({ promptTokens: 5, completionTokens: 2, estimated: true });
  });

  it('maps a wrong key to auth without leaking the key', async () => {
    server = await startFakeLlmServer({ apiKey: 'the-right-key' });
    const p = new OpenAiCompatibleProvider({
      preset: 'openai',
      baseURL: server.baseURL,
      apiKey: KEY,
      model: 'fake-model',
    });
    const e = await failure(p.complete(ask, never()));
    expect(e.code).toBe('auth');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('API key');
    expect(e.message).not.toContain(KEY);
    expect(e.message).not.toContain(KEY.slice(3, 15));
  });

  it('maps 429 with Retry-After seconds, ms and HTTP date', async () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const { s, p } = await setup({}, { now: () => now });
    s.enqueueFaults(
      { kind: 'rate_limit', retryAfterSeconds: 3 },
      { kind: 'rate_limit', retryAfterMs: 250 },
      { kind: 'rate_limit', retryAfterDate: new Date(now + 7_000) },
      { kind: 'rate_limit' },
    );
    const a = await failure(p.complete(ask, never()));
    expect(a).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 3000, status: 429 });
    expect((await failure(p.complete(ask, never()))).retryAfterMs).toBe(250);
    expect((await failure(p.complete(ask, never()))).retryAfterMs).toBe(7000);
    expect((await failure(p.complete(ask, never()))).retryAfterMs).toBeUndefined();
  });

  it('parses Retry-After forms', () => {
    const h = (m: Record<string, string>) => ({ get: (n: string) => m[n] ?? null });
    expect(parseRetryAfter(h({ 'retry-after': '1.5' }), 0)).toBe(1500);
    expect(parseRetryAfter(h({ 'retry-after-ms': '20', 'retry-after': '9' }), 0)).toBe(20);
    expect(
      parseRetryAfter(
        h({ 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' }),
        Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'),
      ),
    ).toBe(10_000);
    expect(parseRetryAfter(h({ 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' }), Date.parse('2020-01-01'))).toBe(0);
    expect(parseRetryAfter(h({ 'retry-after': 'soon' }), 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });

  it('maps 5xx, 404, malformed, reset, refusal and empty', async () => {
    const { s, p } = await setup({ responder: () => 'a b c d e f' });
    s.enqueueFaults(
      { kind: 'server_error', status: 500 },
      { kind: 'server_error', status: 503 },
      { kind: 'malformed' },
      { kind: 'reset' },
      { kind: 'refusal' },
      { kind: 'empty' },
    );
    expect(await failure(p.complete(ask, never()))).toMatchObject({ code: 'server', retryable: true, status: 500 });
    expect(await failure(p.complete(ask, never()))).toMatchObject({ code: 'server', retryable: true, status: 503 });
    expect(await failure(p.complete(ask, never()))).toMatchObject({ code: 'server', retryable: true });
    expect(await failure(p.complete(ask, never()))).toMatchObject({ code: 'network', retryable: true });
    const refused = await failure(p.complete(ask, never()));
    expect(refused).toMatchObject({ code: 'refused', retryable: false });
    expect(refused.message).toContain("can't help");
    expect(await failure(p.complete(ask, never()))).toMatchObject({ code: 'empty', retryable: true });
    const other = new OpenAiCompatibleProvider({ baseURL: s.baseURL, apiKey: KEY, model: 'missing-model' });
    expect(await failure(other.complete(ask, never()))).toMatchObject({ code: 'not_found', retryable: false });
  });

  it('names the URL when nothing listens there', async () => {
    const s = await startFakeLlmServer();
    const url = s.baseURL;
    await s.close();
    const p = new OpenAiCompatibleProvider({ preset: 'ollama', baseURL: url, model: 'llama3' });
    const e = await failure(p.complete(ask, never()));
    expect(e.code).toBe('network');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain(url);
    expect(e.message).toMatch(/connection refused/);
    expect(e.message).toMatch(/ollama serve/);
  });

  it('times out a hung request and a stream that stalls mid-way', async () => {
    const { s, p } = await setup(
      { responder: () => 'a b c d e f g h' },
      { firstTokenTimeoutMs: 150, idleTimeoutMs: 150 },
    );
    s.enqueueFaults({ kind: 'hang' }, { kind: 'stall', afterChunks: 3 });
    let t = Date.now();
    const hung = await failure(p.complete(watched(), never()));
    expect(hung).toMatchObject({ code: 'timeout', retryable: true });
    expect(hung.message).toMatch(/sent nothing/);
    expect(Date.now() - t).toBeLessThan(PROMPT_MS);
    t = Date.now();
    const stalled = await failure(p.complete(watched(), never()));
    expect(stalled.code).toBe('timeout');
    expect(stalled.message).toMatch(/stopped sending/);
    expect(Date.now() - t).toBeLessThan(PROMPT_MS);
  });

  it('times out an unwatched request whose whole answer does not come, hung or cut mid-body', async () => {
    const { s, p } = await setup({ responder: () => 'a b c d e f g h' }, { firstTokenTimeoutMs: 150 });
    s.enqueueFaults({ kind: 'hang' }, { kind: 'stall' });
    for (const _ of [1, 2]) {
      const t = Date.now();
      const e = await failure(p.complete(ask, never()));
      expect(e).toMatchObject({ code: 'timeout', retryable: true });
      expect(e.message).toMatch(/sent no complete answer/);
      expect(Date.now() - t).toBeLessThan(PROMPT_MS);
    }
    expect(s.requests.map((r) => r.chat?.stream)).toEqual([false, false]);
  });

  it('cancels promptly on abort', async () => {
    const { s, p } = await setup();
    s.enqueueFaults({ kind: 'hang' });
    const c = new AbortController();
    const t = Date.now();
    setTimeout(() => c.abort(new Error('paused by user')), 50);
    const e = await failure(p.complete(ask, c.signal));
    expect(e.code).toBe('cancelled');
    expect(e.message).toContain('paused by user');
    expect(Date.now() - t).toBeLessThan(PROMPT_MS);
    const pre = new AbortController();
    pre.abort();
    expect((await failure(p.complete(ask, pre.signal))).code).toBe('cancelled');
  });

  it('lists models and tests the connection', async () => {
    const { s, p } = await setup({ models: ['fake-model', 'other'], responder: () => 'OK' });
    expect(await p.listModels(never())).toEqual(['fake-model', 'other']);
    const ok = await p.test(never());
    expect(ok.ok).toBe(true);
    expect(ok.models).toEqual(['fake-model', 'other']);
    expect(ok.steps.map((x) => [x.name, x.ok])).toEqual([
      ['list-models', true],
      ['model-available', true],
      ['completion', true],
    ]);
    expect(ok.summary).toContain(s.baseURL);

    const wrongModel = new OpenAiCompatibleProvider({ baseURL: s.baseURL, apiKey: KEY, model: 'llama3' });
    const bad = await wrongModel.test(never());
    expect(bad.ok).toBe(false);
    expect(bad.steps[1]).toMatchObject({ name: 'model-available', ok: false });
    expect(bad.steps[1]?.message).toContain('fake-model');
    expect(bad.error?.code).toBe('not_found');

    const wrongKey = new OpenAiCompatibleProvider({
      baseURL: s.baseURL,
      apiKey: 'nope-nope-nope',
      model: 'fake-model',
    });
    const denied = await wrongKey.test(never());
    expect(denied).toMatchObject({ ok: false, error: { code: 'auth' } });
    expect(denied.steps).toHaveLength(1);
    expect(JSON.stringify(denied)).not.toContain('nope-nope-nope');
  });

  it('validates its settings with clear messages', async () => {
    expect(() => new OpenAiCompatibleProvider({ preset: 'custom', model: 'm' })).toThrow(/base URL/);
    expect(() => new OpenAiCompatibleProvider({ baseURL: 'localhost:1234', model: 'm' })).toThrow(/http/);
    expect(() => new OpenAiCompatibleProvider({ preset: 'openai', model: 'gpt-4o-mini' })).toThrow(/API key/);
    // No model is allowed for a connection test that lists them; a completion needs one.
    const unnamed = new OpenAiCompatibleProvider({ preset: 'ollama', model: ' ' });
    await expect(unnamed.complete(ask, never())).rejects.toThrow(/No model is named/);
    const p = new OpenAiCompatibleProvider({
      preset: 'lmstudio',
      model: 'm',
      baseURL: 'http://user:pw@127.0.0.1:1234/v1/',
    });
    expect(p.endpoint).toBe('http://127.0.0.1:1234/v1');
    expect(OPENAI_PRESETS.ollama.baseURL).toBe('http://127.0.0.1:11434/v1');
    expect(OPENAI_PRESETS.llamacpp.baseURL).toBe('http://127.0.0.1:8080/v1');
    expect(OPENAI_PRESETS.vllm.baseURL).toBe('http://127.0.0.1:8000/v1');
  });
});
