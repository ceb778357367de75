/**
 * Holds the fake LLM server to the real protocol: every scenario is driven through the real `openai`
 * client, whose parsers and error classes are what production code meets against a real endpoint.
 */
import OpenAI, {
  APIConnectionError,
  AuthenticationError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { PROMPT_MS } from '../../support/ceilings';

let server: FakeLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(s: FakeLlmServer, apiKey = 'test-key'): OpenAI {
  return new OpenAI({ baseURL: s.baseURL, apiKey, maxRetries: 0, timeout: 5_000, logLevel: 'off' });
}

describe('fake LLM server speaks the OpenAI protocol', () => {
  it('lists models', async () => {
    server = await startFakeLlmServer({ models: ['a-model', 'b-model'] });
    const ids: string[] = [];
    for await (const m of client(server).models.list()) ids.push(m.id);
    expect(ids).toEqual(['a-model', 'b-model']);
  });

  it('answers a non-streaming completion with usage', async () => {
    server = await startFakeLlmServer({ responder: () => 'Good morning, Herr Neefe.' });
    const r = await client(server).chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'say hello now' }],
      temperature: 0.2,
      top_p: 0.95,
      max_tokens: 50,
    });
    expect(r.choices[0]?.message.content).toBe('Good morning, Herr Neefe.');
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    const chat = server.requests[0]?.chat;
    expect(chat).toMatchObject({ model: 'fake-model', temperature: 0.2, top_p: 0.95, max_tokens: 50, stream: false });
  });

  it('streams chunks that the client accumulates, usage last, then [DONE]', async () => {
    const text = 'Then play them, Ludwig,\nand do not rush the second one.';
    server = await startFakeLlmServer({ responder: () => text });
    const stream = client(server).chat.completions.stream({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'hi' }],
      stream_options: { include_usage: true },
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe(text);
    expect(final.choices[0]?.finish_reason).toBe('stop');
    expect(final.usage?.completion_tokens).toBe(11);

    // Wire format, read raw: SSE data lines ending with [DONE], usage chunk has no choices.
    const res = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'fake-model',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = (await res.text()).split('\n\n').filter((e) => e !== '');
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const usageChunk = JSON.parse(events.at(-2)!.slice(6)) as { choices: unknown[]; usage: unknown; object: string };
    expect(usageChunk.object).toBe('chat.completion.chunk');
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toBeTruthy();
  });

  it('rejects a wrong key with 401 and an OpenAI error body', async () => {
    server = await startFakeLlmServer();
    const error = await client(server, 'sk-wrong-key-123')
      .models.list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect((error as AuthenticationError).code).toBe('invalid_api_key');
    expect(server.requests[0]?.authorized).toBe(false);
  });

  it('returns 429 with Retry-After, 500 and 503 as the client classifies them', async () => {
    server = await startFakeLlmServer();
    server.enqueueFaults(
      { kind: 'rate_limit', retryAfterSeconds: 2 },
      { kind: 'server_error', status: 500 },
      { kind: 'server_error', status: 503 },
    );
    const c = client(server);
    const req = { model: 'fake-model', messages: [{ role: 'user' as const, content: 'x' }] };
    const e429 = await c.chat.completions.create(req).catch((e: unknown) => e);
    expect(e429).toBeInstanceOf(RateLimitError);
    expect((e429 as RateLimitError).headers.get('retry-after')).toBe('2');
    const e500 = await c.chat.completions.create(req).catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(InternalServerError);
    const e503 = await c.chat.completions.create(req).catch((e: unknown) => e);
    expect((e503 as InternalServerError).status).toBe(503);
  });

  it('404s an unknown model', async () => {
    server = await startFakeLlmServer();
    const e = await client(server)
      .chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotFoundError);
  });

  it('truncates with finish_reason length, empties, refuses', async () => {
    server = await startFakeLlmServer({ responder: () => 'one two three four five six' });
    server.enqueueFaults({ kind: 'truncated', keepChars: 7 }, { kind: 'empty' }, { kind: 'refusal' });
    const c = client(server);
    const req = { model: 'fake-model', messages: [{ role: 'user' as const, content: 'x' }] };
    const t = await c.chat.completions.create(req);
    expect(t.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'one two' } });
    const e = await c.chat.completions.create(req);
    expect(e.choices[0]?.message.content).toBe('');
    const r = await c.chat.completions.stream(req).finalChatCompletion();
    expect(r.choices[0]?.message.refusal).toMatch(/can't help/);
  });

  it('malformed bodies and resets make the client fail', async () => {
    server = await startFakeLlmServer();
    server.enqueueFaults({ kind: 'malformed' }, { kind: 'malformed' }, { kind: 'reset' });
    const c = client(server);
    const req = { model: 'fake-model', messages: [{ role: 'user' as const, content: 'a b c d e f' }] };
    await expect(c.chat.completions.create(req)).rejects.toThrow();
    await expect(c.chat.completions.stream(req).finalChatCompletion()).rejects.toThrow();
    await expect(c.chat.completions.create(req)).rejects.toBeInstanceOf(APIConnectionError);
  });

  it('hangs and stalls until the client gives up', async () => {
    server = await startFakeLlmServer({ responder: () => 'a b c d e f g h' });
    server.enqueueFaults({ kind: 'hang' }, { kind: 'stall', afterChunks: 3 });
    const c = client(server);
    const req = { model: 'fake-model', messages: [{ role: 'user' as const, content: 'x' }] };
    const started = Date.now();
    await expect(c.chat.completions.create(req, { timeout: 200 })).rejects.toThrow(/timed out/i);
    expect(Date.now() - started).toBeLessThan(PROMPT_MS);
    const controller = new AbortController();
    const stream = await c.chat.completions.create({ ...req, stream: true }, { signal: controller.signal });
    const got: string[] = [];
    let finish: string | null = null;
    // The stream never finishes on its own; the client ends iteration quietly on abort.
    for await (const ch of stream) {
      got.push(ch.choices[0]?.delta.content ?? '');
      finish = ch.choices[0]?.finish_reason ?? finish;
      if (got.length === 4) setTimeout(() => controller.abort(), 100);
    }
    expect(got.join('')).toBe('a b c ');
    expect(finish).toBeNull();
  });

  it('holds a streamed reply mid-text until released, or until the client leaves', async () => {
    const log: string[] = [];
    let release: (() => void) | undefined;
    const until = (): Promise<void> => {
      log.push('held');
      return new Promise<void>((resolve) => (release = resolve));
    };
    server = await startFakeLlmServer({
      responder: () => ({ text: 'one two three four five', hold: { afterChunks: 2, until } }),
    });
    const req = { model: 'fake-model', messages: [{ role: 'user' as const, content: 'x' }], stream: true as const };
    for await (const ch of await client(server).chat.completions.create(req)) {
      const piece = ch.choices[0]?.delta.content ?? '';
      if (piece !== '') log.push(piece);
      if (piece === 'two ') await expect.poll(() => log.includes('held')).toBe(true);
      if (log.includes('held')) release?.();
    }
    // The rest came only after the server had stopped at its hold and was let go.
    expect(log.filter((entry) => entry !== 'held').join('')).toBe('one two three four five');
    expect(log.indexOf('held')).toBeGreaterThan(-1);
    expect(log.indexOf('held')).toBeLessThan(log.indexOf('three '));

    // A client that stops during the hold ends the answer on the server too; none stays in flight.
    server.setResponder(() => ({
      text: 'a b c d',
      hold: { afterChunks: 1, until: () => new Promise<void>(() => undefined) },
    }));
    const controller = new AbortController();
    const stopped: string[] = [];
    for await (const ch of await client(server).chat.completions.create(req, { signal: controller.signal })) {
      const piece = ch.choices[0]?.delta.content ?? '';
      if (piece !== '') stopped.push(piece);
      if (stopped.length === 1) controller.abort();
    }
    expect(stopped).toEqual(['a ']);
    await expect.poll(() => server?.inFlight).toBe(0);
  });

  it('injects seeded random faults reproducibly and tracks concurrency', async () => {
    const run = async (): Promise<string[]> => {
      const s = await startFakeLlmServer({
        latencyMs: 20,
        faults: { rate: 0.5, seed: 7, kinds: [{ kind: 'server_error' }, { kind: 'empty' }] },
      });
      const c = client(s);
      await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          c.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'x' }] }),
        ),
      );
      const kinds = s.requests.map((r) => r.fault?.kind ?? 'ok');
      expect(s.maxInFlight).toBeGreaterThan(1);
      await s.close();
      return kinds;
    };
    const a = await run();
    expect(a).toEqual(await run());
    expect(a.some((k) => k !== 'ok')).toBe(true);
    expect(a.some((k) => k === 'ok')).toBe(true);
  });
});
