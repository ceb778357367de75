import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SceneDoc } from '../../../common/contract';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { studioResponder } from '../../support/studio-responder';
import { beethovenWithFakeProvider, call, generationSettings, makeStudio } from '../../support/studio';

// A scene written by hand without turns waits for its experience like a generated one: the next
// run writes it (from the profile, as the hand-written scene belongs to no chunk) as a new revision.

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

describe('hand-written scenes in a generation run', () => {
  it('gets its missing experience written by the next run, which a stale editor cannot overwrite', async () => {
    server = await startFakeLlmServer({ responder: studioResponder() });
    const { characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL);
    const doc: SceneDoc = {
      type: 'Walk',
      location: 'Heiligenstadt',
      time: '1802',
      background: 'Beethoven walks alone and cannot hear the shepherd’s flute.',
      people: ['Ries'],
      experienceBackground: '',
      turns: [],
    };
    const { id } = await call(env.studio, 'scenes/create', { characterId, doc });
    const held = await call(env.studio, 'scenes/open', { id });

    const started = await call(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 4, scenesPerCall: 4, protectiveShare: 0 }),
    });
    const job = await env.studio.generation.whenIdle(started.id);
    expect(job.status, job.message ?? '').toBe('succeeded');

    const opened = await call(env.studio, 'scenes/open', { id });
    expect(opened.origin).toBe('hand');
    expect(opened.doc.turns.length).toBeGreaterThan(0);
    expect(opened.scene.experience?.callId).not.toBeNull();
    expect(opened.revision).toBe(held.revision + 1);
    const stale = await env.studio.invoke('scenes/save', { id, baseRevision: held.revision, doc });
    expect(stale.ok ? null : stale.error.code).toBe('conflict');
  });
});
