import { describe, expect, it } from 'vitest';
import type { CharacterId, Job, JobId, ProviderId } from '../../../common/contract';
import { jobProgress } from '../../../main/core/pipeline/job-view';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { studioResponder } from '../../support/studio-responder';
import {
  beethovenWithFakeProvider,
  call,
  generationSettings,
  type makeStudio,
  studioForEachTest,
} from '../../support/studio';

// A running generation job keeps what it answers for in memory (counted when its run starts, then
// kept by its own writes), so a progress event reads no scene. What it shows must still be what a
// full recount of the database gives, at every event.

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let characterId: CharacterId;
let providerId: ProviderId;

studioForEachTest(
  (opened) => (env = opened),
  () => server?.close(),
);

/** The figures of `job` as counted from the database alone, as a job at rest is shown. */
function recount(job: JobId): Pick<Job, 'stages' | 'done' | 'total' | 'failed'> {
  const jobs = new JobsRepo(env.studio.db);
  const row = jobs.job(job)!;
  return jobProgress(row, jobs, new DatasetRepo(env.studio.db).jobScope(row.character_id, job, row.created_at), 0);
}

const figures = (job: Job) => ({ stages: job.stages, done: job.done, total: job.total, failed: job.failed });

describe('a running job’s figures', () => {
  it('equal a full recount at every progress event, through a pause and a resume, with an earlier run’s scenes completed', async () => {
    server = await startFakeLlmServer({ responder: studioResponder() });
    ({ characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL));
    const answer = studioResponder();
    // An earlier run leaves three scenes without their experience (its experience answers are unreadable).
    server.setResponder((req) =>
      JSON.stringify(req.response_format ?? '').includes('"experience"') ? 'no.' : answer(req),
    );
    const first = await call(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 3, scenesPerCall: 3, protectiveShare: 0 }),
    });
    expect((await env.studio.generation.whenIdle(first.id)).status).toBe('failed');
    // The next run is paused when it asks for its third experience, which waits until then.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let experienceAsks = 0;
    let secondId: JobId | null = null;
    server.setResponder(async (req) => {
      if (JSON.stringify(req.response_format ?? '').includes('"experience"') && ++experienceAsks > 2) {
        if (experienceAsks === 3) void env.studio.invoke('jobs/pause', { id: secondId! });
        await held;
      }
      return answer(req);
    });

    // The next run adds three scenes, completes the earlier three and writes protective scenes.
    const seen: { shown: ReturnType<typeof figures>; counted: ReturnType<typeof figures> }[] = [];
    let paused = false;
    const off = env.studio.events.subscribe((name, payload) => {
      if (name !== 'jobs/progressed') return;
      const job = payload as Job;
      if (job.id === first.id) return;
      seen.push({ shown: figures(job), counted: recount(job.id) });
      if (job.status === 'paused') paused = true;
    });
    try {
      const second = await call(env.studio, 'generation/start', {
        characterId,
        settings: generationSettings(providerId, { targetScenes: 6, scenesPerCall: 3, protectiveShare: 0.2 }),
      });
      secondId = second.id;
      expect((await env.studio.generation.whenIdle(second.id)).status).toBe('paused');
      release();
      await call(env.studio, 'jobs/resume', { id: second.id });
      const done = await env.studio.generation.whenIdle(second.id);
      expect(done.status).toBe('succeeded');
      expect(figures(done)).toEqual(recount(second.id));
      expect(done.stages.find((s) => s.stage === 'experiences')).toMatchObject({ done: 6, total: 6 });
      expect(done.stages.find((s) => s.stage === 'protective')!.done).toBeGreaterThan(0);
    } finally {
      off();
    }
    expect(paused).toBe(true);
    expect(seen.length).toBeGreaterThan(5);
    for (const { shown, counted } of seen) expect(shown).toEqual(counted);
  }, 60_000);
});
