import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord, StartedCall } from '../../../main/core/llm/gateway';
import { DEFAULT_CHAT_SAMPLING } from '../../../main/core/runtimes/chat-runtime';
import { servedChatRuntime } from '../../../main/core/runtimes/gateway-chat';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';

/**
 * The served runtime against an OpenAI-protocol server (the fake one stands in for the trainer's
 * `serve`, which training-service.test.ts runs for real): it sends speakers' names and the
 * character's thoughts back the way `serve` reads them, records each call through the gateway,
 * announces loading only when it starts the server, stops only a server it started, and asks it to go
 * on from an unfinished reply the way `serve` reads (test_serve.py holds `serve` to it).
 */
let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlmServer({
    apiKey: null,
    models: ['beethoven-1'],
    responder: () => ({ text: 'Ja.', reasoning: 'Hm.' }),
  });
});
afterEach(() => server.close());

function access(answering: boolean) {
  const log = { serves: 0, stops: 0 };
  return {
    log,
    access: {
      answering: () => answering,
      others: () => 1,
      serve: () => {
        log.serves++;
        return Promise.resolve({ url: server.baseURL, model: 'beethoven-1', startedHere: !answering });
      },
      stop: () => {
        log.stops++;
        return Promise.resolve();
      },
    },
  };
}

describe('the served runtime', () => {
  it('sends names and thoughts as serve reads them, records the call, and frees the server it started', async () => {
    const records: (StartedCall | CallRecord)[] = [];
    const { access: a, log } = access(false);
    const runtime = servedChatRuntime({ model: 'tiny', adapter: '/runs/1/adapter', format: 'character-llm' }, a, {
      onStart: (r) => records.push(r),
      onCall: (r) => records.push(r),
    });
    const statuses: { state: string; detail?: string }[] = [];
    const reply = await runtime.reply({
      messages: [
        { role: 'system', content: 'Location: Bonn\nStatus: A visit.' },
        { role: 'user', content: 'Play.', name: 'Mozart' },
        { role: 'assistant', content: 'Give me a theme.', reasoning: 'He doubts me.' },
        { role: 'user', content: 'Here.', name: 'Mozart' },
      ],
      sampling: DEFAULT_CHAT_SAMPLING,
      signal: new AbortController().signal,
      callId: 'call-1',
      onDelta: () => undefined,
      onStatus: (s) => statuses.push(s),
    });
    expect(reply).toMatchObject({ text: 'Ja.', reasoning: 'Hm.', finish: 'stop' });
    expect(runtime.identity).toEqual({
      kind: 'served',
      model: 'tiny',
      adapter: '/runs/1/adapter',
      format: 'character-llm',
    });
    expect(statuses[0]).toEqual({ state: 'loading', detail: expect.stringMatching(/1 other model is in memory/) });
    const sent = server.requests.find((r) => r.chat)!.chat!.body['messages'];
    expect(sent).toEqual([
      { role: 'system', content: 'Location: Bonn\nStatus: A visit.' },
      { role: 'user', content: 'Play.', name: 'Mozart' },
      { role: 'assistant', content: 'Give me a theme.', reasoning_content: 'He doubts me.' },
      { role: 'user', content: 'Here.', name: 'Mozart' },
    ]);
    expect(records.map((r) => [r.callId, 'responseText' in r ? r.responseText : 'started'])).toEqual([
      ['call-1', 'started'],
      ['call-1', 'Ja.'],
    ]);
    await runtime.dispose();
    await runtime.dispose();
    expect(log.stops).toBe(1);
    await expect(
      runtime.reply({
        messages: [],
        sampling: DEFAULT_CHAT_SAMPLING,
        signal: new AbortController().signal,
        onDelta: () => undefined,
      }),
    ).rejects.toThrow(/closed/);
  });

  it("goes on from an unfinished reply with vLLM's flags, which serve reads (Continue)", async () => {
    const { access: a } = access(true);
    const runtime = servedChatRuntime({ model: 'tiny', adapter: null, format: 'character-llm' }, a, {
      onStart: () => undefined,
      onCall: () => undefined,
    });
    const reply = await runtime.reply({
      messages: [
        { role: 'user', content: 'Play.', name: 'Mozart' },
        { role: 'assistant', content: 'Give me a th', reasoning: 'He doubts me.' },
      ],
      continuing: true,
      sampling: DEFAULT_CHAT_SAMPLING,
      signal: new AbortController().signal,
      onDelta: () => undefined,
    });
    expect(runtime.cannotContinue).toBeUndefined();
    expect(reply).toMatchObject({ text: 'Ja.', finish: 'stop' });
    const sent = server.requests.find((r) => r.chat)!.chat!.body;
    expect(sent).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
    expect((sent['messages'] as unknown[]).at(-1)).toEqual({
      role: 'assistant',
      content: 'Give me a th',
      reasoning_content: 'He doubts me.',
    });
    await runtime.dispose();
  });

  it('leaves a server someone else started running, and announces no loading', async () => {
    const { access: a, log } = access(true);
    const runtime = servedChatRuntime({ model: 'tiny', adapter: null, format: 'chat' }, a, {
      onStart: () => undefined,
      onCall: () => undefined,
    });
    const statuses: string[] = [];
    await runtime.reply({
      messages: [{ role: 'user', content: 'Hi' }],
      sampling: DEFAULT_CHAT_SAMPLING,
      signal: new AbortController().signal,
      onDelta: () => undefined,
      onStatus: (s) => statuses.push(s.state),
    });
    expect(statuses).toEqual(['generating']);
    await runtime.dispose();
    expect(log.stops).toBe(0);
  });
});
