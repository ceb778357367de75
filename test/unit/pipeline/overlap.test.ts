import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeChatRequest, FakeReply } from '../../support/fake-llm-server';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { studioResponder } from '../../support/studio-responder';
import { beethovenWithFakeProvider, call, generationSettings, makeStudio } from '../../support/studio';

/**
 * The generation job's stages overlap: an experience is asked for as soon as its scene exists, and
 * protective scenes are written beside the experiences, all within the provider's concurrency.
 * Each case holds one answer back until the call that overlap allows arrives (or, without overlap,
 * a timeout gives up waiting), and then reads the order the server saw.
 */

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;

beforeEach(() => {
  env = makeStudio();
});
afterEach(async () => {
  await env.studio.shutdown();
  env.cleanup();
  await server?.close();
});

type Kind = 'limits' | 'scenes' | 'experience' | 'protective';

function kindOf(req: FakeChatRequest): Kind {
  const schema = (req.response_format as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
  if (schema === 'experience') return /keeps pressing/.test(req.messages.at(-1)!.content) ? 'protective' : 'experience';
  return schema as Kind;
}

/**
 * A responder that holds the first answer of kind `held` (after `skip` of that kind) until a
 * request of kind `awaited` arrives, or `patienceMs` passes; `log` gets the order of events.
 */
function holding(held: Kind, skip: number, awaited: Kind, log: string[], patienceMs = 4_000) {
  const answer = studioResponder();
  let seen = 0;
  let release: (() => void) | null = null;
  return async (req: FakeChatRequest): Promise<FakeReply> => {
    const kind = kindOf(req);
    if (kind === awaited && release) {
      log.push(`${awaited} asked while ${held} held`);
      release();
    }
    if (kind === held && seen++ === skip) {
      log.push(`${held} held`);
      await new Promise<void>((resolve) => {
        release = resolve;
        setTimeout(resolve, patienceMs);
      });
      release = null;
      log.push(`${held} answered`);
    }
    return answer(req);
  };
}

describe('overlapping stages', () => {
  it('asks for an experience while a scene call is still out', async () => {
    const log: string[] = [];
    server = await startFakeLlmServer({ responder: holding('scenes', 1, 'experience', log) });
    const { characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL);
    const job = await call(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 10, scenesPerCall: 5, protectiveShare: 0 }),
    });
    const done = await env.studio.generation.whenIdle(job.id);
    expect(done.status).toBe('succeeded');
    expect(log).toEqual(['scenes held', 'experience asked while scenes held', 'scenes answered']);
    expect(server.maxInFlight).toBeLessThanOrEqual(4);
    const stats = await call(env.studio, 'dataset/stats', { characterId });
    expect(stats).toMatchObject({ scenes: 10, experiences: 10 });
  }, 30_000);

  it('writes protective scenes beside the experiences, and exactly the share', async () => {
    const log: string[] = [];
    server = await startFakeLlmServer({ responder: holding('experience', 0, 'protective', log) });
    const { characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL);
    const job = await call(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 20, scenesPerCall: 5, protectiveShare: 0.1 }),
    });
    const done = await env.studio.generation.whenIdle(job.id);
    expect(done.status).toBe('succeeded');
    expect(log).toEqual(['experience held', 'protective asked while experience held', 'experience answered']);
    expect(server.maxInFlight).toBeLessThanOrEqual(4);
    const stats = await call(env.studio, 'dataset/stats', { characterId });
    expect(stats).toMatchObject({ scenes: 22, protectiveScenes: 2, experiences: 22 });
    expect(done.stages.map((s) => [s.stage, s.done, s.total])).toEqual([
      ['limits', 1, 1],
      ['scenes', 20, 20],
      ['experiences', 20, 20],
      ['protective', 2, 2],
    ]);
  }, 30_000);
});
