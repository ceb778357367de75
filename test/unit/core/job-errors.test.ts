import { afterEach, beforeEach, expect, it } from 'vitest';
import { failuresHeading } from '../../../renderer/src/components/generation/failures';
import { call, createBeethoven, generationSettings, makeStudio } from '../../support/studio';

/** "Recent failures (0 items failed)" counted wrong (issue #8, point 11). */

let env: ReturnType<typeof makeStudio>;
beforeEach(() => {
  env = makeStudio();
});
afterEach(() => env.cleanup());

it('marks which listed errors failed for good, and heads them without claiming 0 items failed', async () => {
  const characterId = await createBeethoven(env.studio);
  await call(env.studio, 'profiles/import', { characterId, text: 'Born in Bonn.\n\nMoved to Vienna.' });
  // Port 9 is one fetch refuses to use: every call fails at once, as in an outage.
  const provider = await call(env.studio, 'providers/create', {
    name: 'Unreachable',
    preset: 'custom',
    baseUrl: 'http://127.0.0.1:9/v1',
    model: 'm',
    modelPath: '',
    maxConcurrency: 1,
    requestsPerMinute: 0,
    timeoutMs: 5000,
    structuredOutput: true,
  });
  const started = await call(env.studio, 'generation/start', {
    characterId,
    settings: generationSettings(provider.id, { targetScenes: 2, scenesPerCall: 2 }),
  });
  await env.studio.generation.whenIdle(started.id);
  const job = await call(env.studio, 'jobs/get', { id: started.id });

  expect(job.recentFailures.length).toBeGreaterThan(0);
  // The list holds items that ran out of attempts and items still waiting for one; each says which.
  const failedForGood = job.recentFailures.filter((f) => f.failed).length;
  expect(failedForGood).toBeLessThanOrEqual(job.failed);
  if (job.failed === 0) expect(failedForGood).toBe(0);
  const heading = failuresHeading(job);
  expect(heading).not.toMatch(/\b0 items? failed/);
  expect(heading).toContain(job.failed === 0 ? 'no item has failed for good' : `${job.failed} item`);
  expect(failuresHeading({ failed: 1 })).toBe('Recent errors (1 item failed)');
  expect(failuresHeading({ failed: 1200 })).toBe('Recent errors (1,200 items failed)');
});
