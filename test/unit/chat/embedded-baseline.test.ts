import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { addEmbeddedProvider, call, createBeethoven, makeStudio } from '../../support/studio';
import { writeTinyGguf } from '../../support/tiny-gguf';

/**
 * A baseline whose provider runs a GGUF file in the studio (the embedded preset), chatted with as a
 * user does: the reply streams as `chat/delta` like an endpoint's, and Stop keeps what was written.
 * The tiny random model never ends a greedy reply by itself (tiny-gguf.ts), so only Stop ends it early.
 */
const env = makeStudio();
afterEach(async () => {
  await env.studio.shutdown();
  env.cleanup();
});

it('streams the reply of an embedded baseline, and Stop keeps the text written so far', async () => {
  const characterId = await createBeethoven(env.studio);
  const modelPath = writeTinyGguf(path.join(env.dir, 'tiny.gguf'), { contextLength: 2048 });
  const providerId = await addEmbeddedProvider(env.studio, modelPath, 120_000);
  const { conversation } = await call(env.studio, 'chat/create', {
    characterId,
    target: { kind: 'baseline', providerId, model: modelPath },
    runtime: 'endpoint',
    setting: { location: 'Vienna', status: 'Evening.' },
  });
  const streamed: string[] = [];
  const stops: Promise<unknown>[] = [];
  const off = env.studio.events.subscribe((name, payload) => {
    if (name !== 'chat/delta') return;
    streamed.push((payload as { text?: string }).text ?? '');
    // Stop as soon as the first words show, as a user who has read enough does.
    if (stops.length === 0) stops.push(call(env.studio, 'chat/stop', { conversationId: conversation.id }));
  });
  try {
    const reply = await call(env.studio, 'chat/send', {
      conversationId: conversation.id,
      text: 'Play something.',
      sampling: { maxTokens: 400, temperature: 0 },
    });
    expect(streamed.join('')).not.toBe('');
    expect(await stops[0]).toEqual({ stopped: true });
    expect(reply.state).toBe('cancelled');
    expect(reply.text).toBe(streamed.join(''));
    expect(reply.producer?.runtime).toBe('embedded');
    off();
    // Continue: the model writes on from the stopped reply (its last model turn left open), in place.
    const more = await call(env.studio, 'chat/continue', {
      conversationId: conversation.id,
      messageId: reply.id,
      sampling: { maxTokens: 8, temperature: 0 },
    });
    expect(more).toMatchObject({ id: reply.id, state: 'complete', finish: 'length' });
    expect(more.text.startsWith(reply.text) && more.text.length > reply.text.length).toBe(true);
    const calls = await call(env.studio, 'calls/get', { id: more.callId! });
    expect(calls.at(-1)?.params).toMatchObject({ continueLast: true });
  } finally {
    off();
  }
});
