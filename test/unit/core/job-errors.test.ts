import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CharacterId, Job, ProviderId } from '../../../common/contract';
import { failuresHeading } from '../../../renderer/src/components/generation/failures';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import {
  call,
  createBeethoven,
  fakeProviderDraft,
  generationSettings,
  makeStudio,
  QUICK_RETRIES,
} from '../../support/studio';

/**
 * "Recent failures (0 items failed)" counted wrong (issue #8, point 11). The provider fails on
 * purpose, so the studio retries quickly (`QUICK_RETRIES`): with the gateway's real 1 s doubling
 * backoff an outage took 11–22 s of jittered waits here, up to 30 s (the test's timeout) by chance.
 */

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer | undefined;
beforeEach(() => {
  env = makeStudio(undefined, QUICK_RETRIES);
});
afterEach(async () => {
  await env.studio.shutdown();
  env.cleanup();
  await server?.close();
  server = undefined;
});

async function lifeOfBeethoven(): Promise<CharacterId> {
  const characterId = await createBeethoven(env.studio);
  await call(env.studio, 'profiles/import', { characterId, text: 'Born in Bonn.\n\nMoved to Vienna.' });
  return characterId;
}

async function generate(characterId: CharacterId, providerId: ProviderId): Promise<Job> {
  const started = await call(env.studio, 'generation/start', {
    characterId,
    settings: generationSettings(providerId, { targetScenes: 2, scenesPerCall: 2 }),
  });
  await env.studio.generation.whenIdle(started.id);
  return call(env.studio, 'jobs/get', { id: started.id });
}

it('heads an outage’s errors without claiming 0 items failed: no item has failed for good', async () => {
  const characterId = await lifeOfBeethoven();
  // Port 9 is one fetch refuses to use: every call fails at once, as in an outage.
  const provider = await call(env.studio, 'providers/create', {
    ...fakeProviderDraft('http://127.0.0.1:9/v1', 'Unreachable'),
    maxConcurrency: 1,
  });
  const job = await generate(characterId, provider.id);

  expect(job.status).toBe('paused');
  expect(job.recentFailures.length).toBeGreaterThan(0);
  // The list holds items that ran out of attempts and items still waiting for one; each says which.
  const failedForGood = job.recentFailures.filter((f) => f.failed).length;
  expect(failedForGood).toBeLessThanOrEqual(job.failed);
  if (job.failed === 0) expect(failedForGood).toBe(0);
  const heading = failuresHeading(job);
  expect(heading).not.toMatch(/\b0 items? failed/);
  expect(heading).toContain(job.failed === 0 ? 'no item has failed for good' : `${job.failed} item`);
});

it('marks the errors of items that ran out of attempts as failed for good, and counts them in the heading', async () => {
  const characterId = await lifeOfBeethoven();
  // Every answer is unreadable: each item fails all its attempts, none of them an outage.
  server = await startFakeLlmServer({ responder: () => 'no.' });
  const provider = await call(env.studio, 'providers/create', {
    ...fakeProviderDraft(server.baseURL),
    maxConcurrency: 1,
  });
  const job = await generate(characterId, provider.id);

  expect(job.status).toBe('failed');
  expect(job.failed).toBeGreaterThan(0);
  // Every item ran out of attempts, so every listed error (the latest 8) is marked failed for good.
  expect(job.recentFailures.length).toBe(Math.min(8, job.failed));
  expect(job.recentFailures.every((f) => f.failed)).toBe(true);
  expect(failuresHeading(job)).toBe(`Recent errors (${job.failed} item${job.failed === 1 ? '' : 's'} failed)`);
  expect(failuresHeading({ failed: 1 })).toBe('Recent errors (1 item failed)');
  expect(failuresHeading({ failed: 1200 })).toBe('Recent errors (1,200 items failed)');
});
