import { afterEach, describe, expect, it } from 'vitest';
import type { GenerationSettings } from '../../../common/contract';
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

let env: ReturnType<typeof makeStudio> | undefined;
let server: FakeLlmServer | undefined;

afterEach(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
  await server?.close();
  env = server = undefined;
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
 * The patience only ends a run that does not overlap (which then fails on its log): it must
 * outlast the job's own steps between the two calls on a loaded machine, so it is generous.
 */
function holding(held: Kind, skip: number, awaited: Kind, log: string[], patienceMs = 15_000) {
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

/**
 * Runs a whole job of `targetScenes` (5 scenes a call, 4 calls at a time) against a server holding
 * one answer as `holding` says; returns the finished job, the event log and the dataset's figures.
 */
async function runHolding(hold: Parameters<typeof holding>, settings: Partial<GenerationSettings>) {
  env = makeStudio();
  const log = hold[3];
  server = await startFakeLlmServer({ responder: holding(...hold) });
  const { characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL);
  const job = await call(env.studio, 'generation/start', {
    characterId,
    settings: generationSettings(providerId, { scenesPerCall: 5, ...settings }),
  });
  const done = await env.studio.generation.whenIdle(job.id);
  expect(done.status).toBe('succeeded');
  expect(server.maxInFlight).toBeLessThanOrEqual(4);
  return { done, log, stats: await call(env.studio, 'dataset/stats', { characterId }) };
}

describe('overlapping stages', () => {
  it('asks for an experience while a scene call is still out', async () => {
    const { log, stats } = await runHolding(['scenes', 1, 'experience', []], { targetScenes: 10, protectiveShare: 0 });
    expect(log).toEqual(['scenes held', 'experience asked while scenes held', 'scenes answered']);
    expect(stats).toMatchObject({ scenes: 10, experiences: 10 });
  }, 60_000);

  it('writes protective scenes beside the experiences, and exactly the share', async () => {
    const { done, log, stats } = await runHolding(['experience', 0, 'protective', []], {
      targetScenes: 20,
      protectiveShare: 0.1,
    });
    expect(log).toEqual(['experience held', 'protective asked while experience held', 'experience answered']);
    expect(stats).toMatchObject({ scenes: 22, protectiveScenes: 2, experiences: 22 });
    expect(done.stages.map((s) => [s.stage, s.done, s.total])).toEqual([
      ['limits', 1, 1],
      ['scenes', 20, 20],
      ['experiences', 20, 20],
      ['protective', 2, 2],
    ]);
  }, 60_000);
});
