import { describe, expect, it } from 'vitest';
import type { CharacterId, GenerationSettings, Job, JobId, ProviderId } from '../../../common/contract';
import { formatUsd, jobCostText, unpricedCallsNote } from '../../../common/money';
import { describeJob } from '../../../main/cli/commands/generate';
import { jobProgress } from '../../../main/core/pipeline/job-view';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { recountedRow } from '../../support/job-recount';
import { studioResponder } from '../../support/studio-responder';
import {
  beethovenWithFakeProvider,
  call,
  callError,
  generationSettings,
  type makeStudio,
  studioForEachTest,
  QUICK_RETRIES,
} from '../../support/studio';

/** Job control against the real openai client and a fake server: outages, re-runs, targets, budgets. */

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let characterId: CharacterId;

async function setup(): Promise<ProviderId> {
  server = await startFakeLlmServer({ responder: studioResponder() });
  const ids = await beethovenWithFakeProvider(env.studio, server.baseURL);
  characterId = ids.characterId;
  return ids.providerId;
}

async function run(providerId: ProviderId, patch: Partial<GenerationSettings> = {}, more?: number): Promise<Job> {
  const job = await call(env.studio, 'generation/start', {
    characterId,
    settings: generationSettings(providerId, patch),
    ...(more !== undefined && { more }),
  });
  return env.studio.generation.whenIdle(job.id);
}

const count = (sql: string): number => env.studio.db.prepare(sql).pluck().get() as number;
const sceneCalls = () => server.requests.filter((r) => r.chat?.messages.at(-1)?.content.includes('Imagine')).length;

// Providers here fail on purpose (down, hung, unreadable): retried in ms, not seconds (QUICK_RETRIES).
studioForEachTest(
  (opened) => (env = opened),
  () => server?.close(),
  QUICK_RETRIES,
);

describe('a provider outage', () => {
  it('pauses the job as unreachable, keeps it resumable, and Retry on a failure row brings it to the end', async () => {
    const providerId = await setup();
    const port = server.port;
    await server.close();
    const paused = await run(providerId, { targetScenes: 5, scenesPerCall: 5, protectiveShare: 0 });
    expect(paused.status).toBe('paused');
    expect(paused.message).toMatch(/provider is unreachable/);
    // One piece of advice, not the gateway's and the pause's both.
    expect(paused.message?.match(/running/g) ?? []).toHaveLength(1);
    expect(paused.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`));
    expect(paused.message).toMatch(/resume/);
    expect(paused.recentFailures.length).toBeGreaterThan(0);
    // Every attempt that left is on record, none still open.
    expect(count("SELECT count(*) FROM llm_calls WHERE status != 'done'")).toBe(0);
    expect(count('SELECT count(*) FROM llm_calls')).toBeGreaterThan(0);

    server = await startFakeLlmServer({ responder: studioResponder(), port });
    const retried = await call(env.studio, 'jobs/retry', { id: paused.id, itemId: paused.recentFailures[0]!.itemId });
    expect(retried.status).toBe('running');
    const done = await env.studio.generation.whenIdle(paused.id);
    expect(done.status).toBe('succeeded');
    expect(count('SELECT count(*) FROM scenes s JOIN experiences e ON e.scene_id = s.id')).toBe(5);
  }, 60_000);

  it('resumes a failed job, giving items whose attempts ran out fresh ones', async () => {
    const providerId = await setup();
    const answer = studioResponder();
    // Experiences come back unreadable: each fails after its attempts and the job ends `failed`.
    server.setResponder((req) =>
      req.response_format && JSON.stringify(req.response_format).includes('"experience"') ? 'no.' : answer(req),
    );
    const failed = await run(providerId, { targetScenes: 3, scenesPerCall: 3, protectiveShare: 0 });
    expect(failed.status).toBe('failed');
    expect(failed.failed).toBe(3);
    server.setResponder(answer);
    await call(env.studio, 'jobs/resume', { id: failed.id });
    const resumed = await env.studio.generation.whenIdle(failed.id);
    expect(resumed.status).toBe('succeeded');
    expect(resumed.failed).toBe(0);
    expect(count('SELECT count(*) FROM experiences')).toBe(3);
    expect(count('SELECT count(*) FROM scenes')).toBe(3);
  });

  it('a new run completes the scenes an earlier failed run left without experiences, adding none', async () => {
    const providerId = await setup();
    const answer = studioResponder();
    server.setResponder((req) =>
      JSON.stringify(req.response_format ?? '').includes('"experience"') ? 'no.' : answer(req),
    );
    expect((await run(providerId, { targetScenes: 3, scenesPerCall: 3, protectiveShare: 0 })).status).toBe('failed');
    server.setResponder(answer);
    const second = await run(providerId, { targetScenes: 3, scenesPerCall: 3, protectiveShare: 0 });
    expect(second.status).toBe('succeeded');
    expect(count('SELECT count(*) FROM scenes')).toBe(3);
    expect(count('SELECT count(*) FROM experiences')).toBe(3);
  });
});

describe('the target is the character’s total', () => {
  it('running the same target twice leaves it; "more" adds exactly that many; the form remembers the values', async () => {
    const providerId = await setup();
    const first = await run(providerId, { targetScenes: 8, scenesPerCall: 4, protectiveShare: 0.1 });
    expect(first.status).toBe('succeeded');
    const estimate = await call(env.studio, 'generation/estimate', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 8, scenesPerCall: 4, protectiveShare: 0.1 }),
    });
    expect(estimate).toMatchObject({ existingScenes: 8, targetScenes: 8, hasWork: false, calls: 0 });
    const again = await callError(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 8, scenesPerCall: 4, protectiveShare: 0.1 }),
    });
    expect(again.code).toBe('conflict');
    expect(again.message).toMatch(/already has 8 scenes.*target of 8 is met and nothing was started/);
    expect(count('SELECT count(*) FROM jobs')).toBe(1);

    const more = await run(providerId, { targetScenes: 8, scenesPerCall: 4, protectiveShare: 0.1 }, 4);
    expect(more.status).toBe('succeeded');
    expect(more.settings).toMatchObject({ targetScenes: 12 });
    expect(count('SELECT count(*) FROM scenes WHERE protective = 0')).toBe(12);
    // The share is of the whole dataset: 10% of 12 scenes → 1 protective scene in all.
    expect(count('SELECT count(*) FROM scenes WHERE protective = 1')).toBe(1);
    expect(
      count('SELECT count(*) FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id WHERE e.scene_id IS NULL'),
    ).toBe(0);
    // The earlier run's card keeps its own figures.
    const earlier = await call(env.studio, 'jobs/get', { id: first.id });
    expect(earlier.stages.find((s) => s.stage === 'scenes')).toMatchObject({ done: 8, total: 8 });

    const remembered = await call(env.studio, 'generation/defaults', { characterId });
    expect(remembered).toMatchObject({ targetScenes: 12, scenesPerCall: 4, protectiveShare: 0.1 });
    expect(await call(env.studio, 'generation/preferences', {})).toEqual({ confirmAboveUsd: 1 });
    expect(await call(env.studio, 'generation/set-preferences', { confirmAboveUsd: 0.25 })).toEqual({
      confirmAboveUsd: 0.25,
    });
  });

  it('stops issuing scene calls once the target is met', async () => {
    const providerId = await setup();
    // 20 scenes at 5 a call: 5 calls are planned (with room for losses), 4 suffice when none is lost.
    const job = await run(providerId, { targetScenes: 20, scenesPerCall: 5, protectiveShare: 0 });
    expect(job.status).toBe('succeeded');
    expect(count('SELECT count(*) FROM scenes')).toBe(20);
    expect(sceneCalls()).toBe(4);
    expect(count("SELECT count(*) FROM job_items WHERE stage = 'scenes' AND call_id IS NULL AND status = 'done'")).toBe(
      1,
    );
  });
});

describe('a job another process runs', () => {
  it('is asked to stop while its runner beats, and stopped at rest once the runner has gone silent', async () => {
    const providerId = await setup();
    const job = await run(providerId, { targetScenes: 3, scenesPerCall: 3, protectiveShare: 0 });
    // As a studio on another machine sharing the folder leaves it: running, its runner's beat recent.
    const runElsewhere = (beatAgoMs: number) =>
      env.studio.db
        .prepare(`UPDATE jobs SET status = 'running', runner = '4242@another-machine', heartbeat_at = ? WHERE id = ?`)
        .run(Date.now() - beatAgoMs, job.id);
    runElsewhere(1_000);
    const asked = await call(env.studio, 'jobs/pause', { id: job.id });
    expect(asked).toMatchObject({ status: 'running', message: 'Pausing: asked of the process running it…' });
    expect(count(`SELECT count(*) FROM jobs WHERE stop_request = 'paused'`)).toBe(1);
    // Not claimed from under that runner; the refusal says what to do.
    expect((await callError(env.studio, 'jobs/resume', { id: job.id })).message).toMatch(
      /A running job cannot be resumed/,
    );

    // Silent for longer than a runner may be (30 s): the job is at rest, paused here at once.
    runElsewhere(60_000);
    const paused = await call(env.studio, 'jobs/cancel', { id: job.id });
    expect(paused).toMatchObject({ status: 'cancelled', message: 'Cancelled. What was written so far is kept.' });
    expect(count('SELECT count(*) FROM jobs WHERE stop_request IS NOT NULL OR runner IS NOT NULL')).toBe(0);
  });
});

describe('the budget', () => {
  it('can be raised on a paused job, which then resumes; small costs keep their digits', async () => {
    const providerId = await setup();
    await call(env.studio, 'providers/update', { id: providerId, preset: 'openai', baseUrl: server.baseURL });
    await call(env.studio, 'prices/set', { model: 'fake-model', promptPerMillion: 1000, completionPerMillion: 1000 });
    const paused = await run(providerId, { targetScenes: 6, scenesPerCall: 3, protectiveShare: 0, budgetUsd: 0.5 });
    expect(paused.status).toBe('paused');
    expect(paused.message).toMatch(/budget of \$0\.50 is spent.*Raise the budget and resume/);
    const low = await callError(env.studio, 'jobs/set-budget', { id: paused.id, budgetUsd: 0.1 });
    expect(low.message).toMatch(/more than the \$[\d.]+ already spent/);
    const raised = await call(env.studio, 'jobs/set-budget', { id: paused.id, budgetUsd: 100 });
    expect(raised.settings.budgetUsd).toBe(100);
    expect(raised.message).toMatch(/budget is now \$100/);
    await call(env.studio, 'jobs/resume', { id: paused.id });
    expect((await env.studio.generation.whenIdle(paused.id)).status).toBe('succeeded');
    expect(formatUsd(0.005)).toBe('$0.005');
    expect(formatUsd(0.5)).toBe('$0.50');
    expect(formatUsd(0.0123)).toBe('$0.0123');
    expect(formatUsd(12.345)).toBe('$12.35');
  });

  it('counts calls to a model without a price as unpriced: the cost is unknown, not $0, until a price is set', async () => {
    const providerId = await setup(); // a custom endpoint: it may bill, and fake-model has no price
    const unpriced = await run(providerId, { targetScenes: 4, scenesPerCall: 2, protectiveShare: 0 });
    const answered = env.studio.db
      .prepare(`SELECT count(*) FROM llm_calls WHERE job_id = ? AND prompt_tokens IS NOT NULL`)
      .pluck()
      .get(unpriced.id) as number;
    expect(answered).toBeGreaterThan(0);
    expect(unpriced).toMatchObject({ status: 'succeeded', costUsd: 0, unpricedCalls: answered });
    expect(jobCostText(unpriced)).toBe('cost unknown');
    expect(unpricedCallsNote(unpriced)).toMatch(/^\d+ calls went to a model with no price set.*Settings → Prices/);
    expect(describeJob(unpriced)).toContain(' · cost unknown');
    // The time left as the Jobs card says it ("about 2 h 5 min left"), not in a wording of the CLI's own.
    expect(describeJob({ ...unpriced, etaSeconds: 7_500 })).toMatch(/ · ETA 2 h 5 min$/);
    expect(describeJob({ ...unpriced, etaSeconds: 75 })).toMatch(/ · ETA 1 min$/);

    // A job that failed part-way (its experience answers unreadable) after unpriced calls: a budget
    // for its retry could not be kept, so it is refused.
    const answer = studioResponder();
    server.setResponder((req) =>
      JSON.stringify(req.response_format ?? '').includes('"experience"') ? 'no.' : answer(req),
    );
    const failed = await run(providerId, {}, 2);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.unpricedCalls).toBeGreaterThan(0);
    const refusedBudget = await callError(env.studio, 'jobs/set-budget', { id: failed.id, budgetUsd: 5 });
    expect(refusedBudget.message).toMatch(/went to a model with no price set.*A budget cannot be kept without it/);
    server.setResponder(answer);
    await call(env.studio, 'jobs/cancel', { id: failed.id });

    // Priced from here on: the next job's cost is counted in full.
    await call(env.studio, 'prices/set', { model: 'fake-model', promptPerMillion: 1000, completionPerMillion: 1000 });
    const priced = await run(providerId, { targetScenes: 6, scenesPerCall: 2, protectiveShare: 0 });
    expect(priced.unpricedCalls).toBe(0);
    expect(priced.costUsd).toBeGreaterThan(0);
    expect(jobCostText(priced)).toBe(formatUsd(priced.costUsd));
    expect(unpricedCallsNote(priced)).toBeNull();
    expect(jobCostText({ costUsd: 0.5, unpricedCalls: 2 })).toBe('at least $0.50');

    // A local server (Ollama's preset) does not bill: its calls are free, not unpriced.
    await call(env.studio, 'providers/update', { id: providerId, preset: 'ollama', baseUrl: server.baseURL });
    const local = await run(providerId, { targetScenes: 8, scenesPerCall: 2, protectiveShare: 0 });
    expect(local).toMatchObject({ status: 'succeeded', costUsd: 0, unpricedCalls: 0 });
    expect(jobCostText(local)).toBe('$0');
  });

  it('is refused at the start when the paid model has no price, and nothing starts; a local server needs none', async () => {
    const providerId = await setup(); // a custom endpoint: it may bill, and fake-model has no price
    const settings = generationSettings(providerId, {
      targetScenes: 4,
      scenesPerCall: 2,
      protectiveShare: 0,
      budgetUsd: 2,
    });
    const estimate = await call(env.studio, 'generation/estimate', { characterId, settings });
    expect(estimate.warnings.join(' ')).toMatch(/No price is set for fake-model, so the budget could not be kept/);
    const refused = await callError(env.studio, 'generation/start', { characterId, settings });
    expect(refused.message).toMatch(
      /A budget needs the price of every paid model the job calls, and fake-model \(provider "[^"]+"\) has none.*providers price fake-model/,
    );
    expect(count('SELECT count(*) FROM jobs')).toBe(0);
    await call(env.studio, 'providers/update', { id: providerId, preset: 'ollama', baseUrl: server.baseURL });
    const local = await run(providerId, { targetScenes: 4, scenesPerCall: 2, protectiveShare: 0, budgetUsd: 2 });
    expect(local.status).toBe('succeeded');
  });
});

describe('calls on record', () => {
  it('puts a call on record before it is sent, in flight until the answer completes the row', async () => {
    const providerId = await setup();
    server.enqueueFaults({ kind: 'hang' });
    const job = await call(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 2, scenesPerCall: 2, protectiveShare: 0 }),
    });
    await new Promise<void>((resolve) => {
      const check = () => (server.inFlight > 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    const open = env.studio.db.prepare("SELECT id, cost_usd FROM llm_calls WHERE status = 'in_flight'").all();
    expect(open).toHaveLength(1);
    await call(env.studio, 'jobs/pause', { id: job.id });
    await env.studio.generation.whenIdle(job.id);
    expect(count("SELECT count(*) FROM llm_calls WHERE status = 'in_flight'")).toBe(0);
  });
});

/** The figures of `job` counted afresh from its items and scenes (not the ones its row keeps). */
function recount(job: JobId): Pick<Job, 'stages' | 'done' | 'total' | 'failed'> {
  return jobProgress(recountedRow(env.studio.db, job), 0);
}

const figures = (job: Job) => ({ stages: job.stages, done: job.done, total: job.total, failed: job.failed });

// A job's figures are kept on its row by triggers, so a progress event reads no scene and no item.
// What it shows must still be what a full recount of the database gives, at every event.
describe('a running job’s figures', () => {
  it('equal a full recount at every progress event, through a pause and a resume, with an earlier run’s scenes completed', async () => {
    const providerId = await setup();
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
