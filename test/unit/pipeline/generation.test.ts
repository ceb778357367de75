import { describe, expect, it } from 'vitest';
import type { CharacterId, GenerationSettings, Job, ProviderId, SceneDoc } from '../../../common/contract';
import { startFakeLlmServer, type FakeLlmServer, type FakeLlmServerOptions } from '../../support/fake-llm-server';
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

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let characterId: CharacterId;

async function setup(
  serverOptions: FakeLlmServerOptions = {},
  provider: { structuredOutput?: boolean; apiKey?: string } = {},
) {
  server = await startFakeLlmServer({ responder: studioResponder(), ...serverOptions });
  const ids = await beethovenWithFakeProvider(env.studio, server.baseURL, provider);
  characterId = ids.characterId;
  return ids.providerId;
}

async function runToEnd(providerId: ProviderId, patch: Partial<GenerationSettings> = {}): Promise<Job> {
  const job = await call(env.studio, 'generation/start', {
    characterId,
    settings: generationSettings(providerId, patch),
  });
  return env.studio.generation.whenIdle(job.id);
}

function sceneRows() {
  return env.studio.db
    .prepare('SELECT s.*, e.turns FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id')
    .all() as {
    id: string;
    protective: number;
    call_id: string;
    background: string;
    turns: string | null;
  }[];
}

// Providers here fail on purpose (down, hung, unreadable): retried in ms, not seconds (QUICK_RETRIES).
studioForEachTest(
  (opened) => (env = opened),
  () => server?.close(),
  QUICK_RETRIES,
);

describe('experience construction through the real openai client', () => {
  it('builds exactly the target dataset: limits, scenes, experiences and protective scenes, each traceable to its call', async () => {
    const providerId = await setup();
    const job = await runToEnd(providerId);
    expect(job.status).toBe('succeeded');
    expect(job.message).toBeNull();

    const limits = await call(env.studio, 'limits/list', { characterId });
    expect(limits.map((l) => l.text)).toContain('the Python programming language');
    expect(limits.every((l) => l.source === 'generated')).toBe(true);

    const rows = sceneRows();
    const normal = rows.filter((r) => r.protective === 0);
    const protective = rows.filter((r) => r.protective === 1);
    expect(normal).toHaveLength(20);
    expect(protective).toHaveLength(2); // 10% of the final dataset: 2 / 22
    expect(rows.every((r) => r.turns !== null)).toBe(true);

    const listed = (await call(env.studio, 'scenes/list', { characterId, limit: 50, protective: false })).scenes[0]!;
    const scene = await call(env.studio, 'scenes/get', { id: listed.id });
    expect(scene.chunkId).not.toBeNull();
    expect(scene.promptVersion).toBe('builtin@1');
    const [sceneCall] = await call(env.studio, 'calls/get', { id: scene.callId! });
    expect(sceneCall!.messages.at(-1)!.content).toContain('Imagine 5 different concrete scenes');
    expect(sceneCall!.response).toContain(scene.location);
    expect(sceneCall!.params).toMatchObject({ jsonSchema: 'scenes' });
    // Which of the user's providers answered, by the name it had then, beside the kind of endpoint.
    expect(sceneCall).toMatchObject({ provider: 'openai-compatible:custom', providerLabel: 'Fake' });
    const turns = scene.experience!.turns;
    expect(turns.filter((t) => t.kind === 'thinking').every((t) => t.speaker === 'Beethoven')).toBe(true);
    expect(turns.find((t) => t.text.includes('second movement'))!.text).toBe(
      'Ask, then.\n\nBut be brief: the second movement will not write itself.',
    );
    const [experienceCall] = await call(env.studio, 'calls/get', { id: scene.experience!.callId! });
    expect(experienceCall!.messages.at(-1)!.content).toContain(scene.background);

    const protectiveListed = (await call(env.studio, 'scenes/list', { characterId, limit: 5, protective: true }))
      .scenes[0]!;
    const protectiveScene = await call(env.studio, 'scenes/get', { id: protectiveListed.id });
    expect(protectiveScene).toMatchObject({ location: 'A room', background: 'Beethoven is chatting with a person.' });
    expect(limits.map((l) => l.text)).toContain(protectiveScene.limit);

    expect(job.stages.map((s) => [s.stage, s.done, s.total])).toEqual([
      ['limits', 1, 1],
      ['scenes', 20, 20],
      ['experiences', 20, 20],
      ['protective', 2, 2],
    ]);
    expect(job.promptTokens).toBeGreaterThan(0);
    expect(job.completionTokens).toBeGreaterThan(0);
    const stats = await call(env.studio, 'dataset/stats', { characterId });
    expect(stats).toMatchObject({ scenes: 22, protectiveScenes: 2, experiences: 22, turns: 22 * 6 });
  });

  it('reads the paper’s text format when structured output is off', async () => {
    const providerId = await setup({}, { structuredOutput: false });
    const job = await runToEnd(providerId, { targetScenes: 8, protectiveShare: 0 });
    expect(job.status).toBe('succeeded');
    expect(sceneRows().filter((r) => r.turns !== null)).toHaveLength(8);
    expect(server.requests.some((r) => r.chat?.response_format !== undefined)).toBe(false);
  });

  it('survives 429 storms, 500s, resets, malformed, truncated, refused and empty answers without half-written items', async () => {
    const providerId = await setup({
      faults: {
        rate: 0.35,
        seed: 7,
        kinds: [
          { kind: 'rate_limit', retryAfterMs: 20 },
          { kind: 'server_error', status: 500 },
          { kind: 'server_error', status: 503 },
          { kind: 'malformed' },
          { kind: 'truncated', keepChars: 40 },
          { kind: 'refusal' },
          { kind: 'empty' },
          { kind: 'reset' },
        ],
      },
    });
    const job = await runToEnd(providerId, { targetScenes: 15 });
    const rows = sceneRows();
    const normal = rows.filter((r) => r.protective === 0);
    expect(normal.length).toBe(15);
    expect(new Set(normal.map((r) => r.background)).size).toBe(15);
    // An item either failed (and says why) or wrote its whole output.
    const failedItems = env.studio.db.prepare("SELECT stage, error FROM job_items WHERE status = 'failed'").all() as {
      stage: string;
      error: string;
    }[];
    const withoutExperience = rows.filter((r) => r.turns === null).length;
    expect(withoutExperience).toBe(failedItems.filter((i) => i.stage === 'experiences').length);
    expect(job.status).toBe(failedItems.length > 0 ? 'failed' : 'succeeded');
    for (const item of failedItems) expect(item.error.length).toBeGreaterThan(10);
    const errors = env.studio.db
      .prepare('SELECT count(*) FROM llm_calls WHERE error IS NOT NULL')
      .pluck()
      .get() as number;
    expect(errors).toBeGreaterThan(0);
    if (failedItems.length > 0) {
      server.enqueueFaults(...Array<null>(50).fill(null));
      const retried = await call(env.studio, 'jobs/retry', { id: job.id });
      const final = await env.studio.generation.whenIdle(retried.id);
      expect(final.failed).toBe(0);
    }
  });

  it('stops at once with a clear message on a wrong API key, and writes nothing', async () => {
    const providerId = await setup({}, { apiKey: 'wrong-key' });
    const job = await runToEnd(providerId);
    expect(job.status).toBe('failed');
    expect(job.message).toMatch(/key/i);
    expect(sceneRows()).toHaveLength(0);
    expect(server.requests.filter((r) => r.chat).length).toBeLessThanOrEqual(8);
  });

  it('pauses, resumes without redoing finished items, and cancels', async () => {
    const providerId = await setup({ latencyMs: 40 });
    const job = await call(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 30 }),
    });
    await waitFor(() => sceneRows().length >= 5);
    const paused = await call(env.studio, 'jobs/pause', { id: job.id });
    await env.studio.generation.whenIdle(job.id);
    expect((await call(env.studio, 'jobs/get', { id: job.id })).status).toBe('paused');
    expect(paused.status === 'paused' || paused.status === 'running').toBe(true);
    const doneItems = env.studio.db.prepare("SELECT id FROM job_items WHERE status = 'done'").pluck().all() as string[];
    const requestsBefore = server.requests.length;

    await call(env.studio, 'jobs/resume', { id: job.id });
    const finished = await env.studio.generation.whenIdle(job.id);
    expect(finished.status).toBe('succeeded');
    expect(sceneRows().filter((r) => r.protective === 0)).toHaveLength(30);
    const attempts = env.studio.db.prepare('SELECT id, attempts FROM job_items').all() as {
      id: string;
      attempts: number;
    }[];
    for (const id of doneItems) expect(attempts.find((a) => a.id === id)!.attempts).toBe(1);
    expect(server.requests.length).toBeGreaterThan(requestsBefore);

    const second = await call(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 30 }),
      more: 10,
    });
    const cancelled = await call(env.studio, 'jobs/cancel', { id: second.id });
    await env.studio.generation.whenIdle(second.id);
    expect((await call(env.studio, 'jobs/get', { id: cancelled.id })).status).toBe('cancelled');
    expect((await callError(env.studio, 'jobs/resume', { id: second.id })).message).toMatch(
      /cancelled job cannot be resumed/,
    );
  });

  it('pauses when the budget is spent', async () => {
    const providerId = await setup();
    await call(env.studio, 'providers/update', { id: providerId, preset: 'openai', baseUrl: server.baseURL });
    await call(env.studio, 'prices/set', { model: 'fake-model', promptPerMillion: 1000, completionPerMillion: 1000 });
    const job = await runToEnd(providerId, { budgetUsd: 0.5 });
    expect(job.status).toBe('paused');
    expect(job.message).toMatch(/budget of \$0\.50 is spent/);
  });

  it('gives the plan of this run, as its stages do, when scenes are there already', async () => {
    const providerId = await setup();
    await runToEnd(providerId, { targetScenes: 12, scenesPerCall: 4, protectiveShare: 0.1 });
    const stats = await call(env.studio, 'dataset/stats', { characterId });
    expect(stats.scenes - stats.protectiveScenes).toBe(12);
    expect(stats.protectiveScenes).toBeGreaterThan(0);
    const estimate = await call(env.studio, 'generation/estimate', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 1500, scenesPerCall: 10, protectiveShare: 0.03 }),
    });
    const calls = (stage: string) => estimate.stages.find((s) => s.stage === stage)?.calls ?? 0;
    // The whole target asks 173 calls and 46 protective scenes; this run asks what is left.
    expect(calls('scenes')).toBeLessThan(173);
    expect(estimate.plan.sceneCalls).toBe(calls('scenes'));
    expect(estimate.plan.protectiveScenes).toBe(46 - stats.protectiveScenes);
    expect(estimate.plan.protectiveScenes).toBe(calls('protective'));
    expect(estimate.plan.scenesAsked).toBe(Math.ceil((1500 - 12) * 1.15));
    expect(estimate.plan.expectedScenes).toEqual({ low: 1500, high: 1500 });
  });

  it('estimates calls, tokens, cost and time, and refuses a character without a profile', async () => {
    const providerId = await setup();
    const estimate = await call(env.studio, 'generation/estimate', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 1500, scenesPerCall: 10, protectiveShare: 0.03 }),
    });
    expect(estimate.stages.map((s) => s.stage)).toEqual(['limits', 'scenes', 'experiences', 'protective']);
    expect(estimate.stages.find((s) => s.stage === 'experiences')!.calls).toBe(1500);
    expect(estimate.stages.find((s) => s.stage === 'scenes')!.calls).toBe(173);
    expect(estimate.stages.find((s) => s.stage === 'protective')!.calls).toBe(46);
    expect(estimate.costUsd).toBeNull(); // a custom endpoint may bill, but fake-model has no price
    expect(estimate.warnings.join(' ')).toMatch(/No price is set for fake-model/);
    await call(env.studio, 'prices/set', { model: 'fake-model', promptPerMillion: 1, completionPerMillion: 2 });
    const priced = await call(env.studio, 'generation/estimate', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 1500, scenesPerCall: 10, protectiveShare: 0.03 }),
    });
    expect(priced.costUsd).toBeCloseTo((priced.promptTokens * 1 + priced.completionTokens * 2) / 1e6, 6);
    await call(env.studio, 'providers/update', { id: providerId, preset: 'ollama' });
    const local = await call(env.studio, 'generation/estimate', {
      characterId,
      settings: generationSettings(providerId),
    });
    expect(local.costUsd).toBe(0);
    expect(estimate.seconds).toBeGreaterThan(0);
    const empty = await call(env.studio, 'characters/create', {
      fullName: 'Nobody Yet',
      shortName: 'Nobody',
      era: '',
      notes: '',
    });
    const error = await callError(env.studio, 'generation/start', {
      characterId: empty.id,
      settings: generationSettings(providerId),
    });
    expect(error.message).toMatch(/has no profile yet/);
  });
});

async function waitFor(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a provider that is down', () => {
  it('pauses the job (resumable) with a message naming the address, writing nothing', async () => {
    const providerId = await setup();
    const port = server.port;
    await server.close();
    const job = await runToEnd(providerId, { targetScenes: 5, protectiveShare: 0 });
    expect(job.status).toBe('paused');
    expect(job.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`));
    expect(sceneRows()).toHaveLength(0);
  }, 60_000);
});

describe('slow and thin input', () => {
  it('times out a hung call and a stalled stream, retries them, and finishes', async () => {
    const providerId = await setup();
    await call(env.studio, 'providers/update', { id: providerId, timeoutMs: 1000 });
    server.enqueueFaults({ kind: 'hang' }, { kind: 'stall', afterChunks: 1 });
    const job = await runToEnd(providerId, { targetScenes: 4, scenesPerCall: 4, protectiveShare: 0 });
    expect(job.status).toBe('succeeded');
    const timeouts = env.studio.db
      .prepare("SELECT count(*) FROM llm_calls WHERE error LIKE 'timeout%'")
      .pluck()
      .get() as number;
    expect(timeouts).toBeGreaterThanOrEqual(1);
    expect(sceneRows().filter((r) => r.turns !== null)).toHaveLength(4);
  }, 60_000);

  it('warns about a profile with a single chunk, and still builds the dataset from it', async () => {
    const providerId = await setup();
    const single = await call(env.studio, 'characters/create', {
      fullName: 'Ada Lovelace',
      shortName: 'Ada',
      era: '1815–1852',
      notes: '',
    });
    await call(env.studio, 'profiles/import', {
      characterId: single.id,
      text: 'Ada Lovelace wrote the first published algorithm for a machine.',
    });
    const s = generationSettings(providerId, { targetScenes: 6, scenesPerCall: 3, protectiveShare: 0 });
    const estimate = await call(env.studio, 'generation/estimate', { characterId: single.id, settings: s });
    expect(estimate.warnings.join(' ')).toMatch(/single chunk/);
    const job = await call(env.studio, 'generation/start', { characterId: single.id, settings: s });
    expect((await env.studio.generation.whenIdle(job.id)).status).toBe('succeeded');
    expect((await call(env.studio, 'dataset/stats', { characterId: single.id })).experiences).toBe(6);
  });
});

describe('what the character cannot know', () => {
  it('is generated on request from the era and profile, recorded with its call, and replaces the list', async () => {
    const providerId = await setup();
    await call(env.studio, 'limits/save', { characterId, limits: ['the telephone'] });
    const limits = await call(env.studio, 'limits/generate', { characterId, providerId });
    expect(limits.map((l) => l.text)).toContain('the Python programming language');
    expect(limits.map((l) => l.text)).not.toContain('the telephone');
    expect(limits.every((l) => l.source === 'generated')).toBe(true);
    const prompt = server.requests.find((r) => r.chat)!.chat!.messages.at(-1)!.content;
    expect(prompt).toContain('1770–1827');
    expect(prompt).toContain('Ludwig van Beethoven (baptised 17 December 1770');
    const calls = env.studio.db.prepare('SELECT job_id, response FROM llm_calls').all() as {
      job_id: string | null;
      response: string;
    }[];
    expect(calls).toHaveLength(1);
    expect(calls[0]!.job_id).toBeNull();
  });
});

// A scene written by hand without turns waits for its experience like a generated one: the next
// run writes it (from the profile, as it belongs to no chunk) as a new revision.
describe('hand-written scenes in a generation run', () => {
  it('gets its missing experience written by the next run, which a stale editor cannot overwrite', async () => {
    const providerId = await setup();
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
