import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CharacterId, ProviderId } from '../../../common/contract';
import { runCli } from '../../../main/cli/main';
import { DEFAULT_SETTINGS } from '../../../main/core/pipeline/generation-service';
import { planPaperSceneCalls } from '../../../main/core/pipeline/planner';
import { PythonRandom } from '../../../main/core/pipeline/python-random';
import { startFakeLlmServer, type FakeChatRequest, type FakeLlmServer } from '../../support/fake-llm-server';
import { studioResponder } from '../../support/studio-responder';
import {
  addFakeProvider,
  beethovenWithProfile,
  call,
  generationSettings,
  type makeStudio,
  studioForEachTest,
} from '../../support/studio';
import { venvPython } from '../trainer/fixtures';

/** What CPython's own `random` gives for a snippet (the trainer's interpreter, else the system's). */
function python(code: string): unknown {
  const interpreter = fs.existsSync(venvPython) ? venvPython : 'python3';
  const run = spawnSync(interpreter, ['-c', `import json, random\n${code}`], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as unknown;
}

describe("Python's random, as the reference code drew with it", () => {
  it('yields the same floats and the same weighted picks as CPython for the same seed', () => {
    const ours = new PythonRandom(42);
    expect(Array.from({ length: 5 }, () => ours.random())).toEqual(
      python('random.seed(42); print(json.dumps([random.random() for _ in range(5)]))'),
    );
    const weights = [812, 95, 3051, 640, 77, 1800, 402];
    expect(new PythonRandom(42).choices(weights, 40)).toEqual(
      python(`random.seed(42); print(json.dumps(random.choices(range(7), weights=${JSON.stringify(weights)}, k=40)))`),
    );
    expect(new PythonRandom(2 ** 40 + 7).random()).toEqual(python('random.seed(2**40+7); print(random.random())'));
  });
});

describe("the paper's scene plan", () => {
  const chunks = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `c${i}`, chars: 200 + ((i * 7919) % 1500) }));

  for (const n of [13, 59, 100, 115, 3]) {
    it(`asks each of ${n} chunks ⌊100 / ${n}⌋ times, then draws the rest by length with seed 42`, () => {
      const list = chunks(n);
      const plan = planPaperSceneCalls(list);
      const times = Math.max(1, Math.floor(100 / n));
      expect(plan).toHaveLength(Math.max(100, n));
      expect(plan.every((c) => c.count === 20)).toBe(true);
      const perChunk = list.map((c) => plan.filter((p) => p.chunkId === c.id).length);
      const drawn = python(
        `random.seed(42); print(json.dumps(random.choices(range(${n}), weights=${JSON.stringify(list.map((c) => c.chars))}, k=${Math.max(0, 100 - times * n)})))`,
      ) as number[];
      const expected = list.map((_, i) => times + drawn.filter((d) => d === i).length);
      expect(perChunk).toEqual(expected);
      // Repeats of a chunk are numbered 0, 1, 2…: the keys of the job's items.
      for (const c of list)
        expect(plan.filter((p) => p.chunkId === c.id).map((p) => p.repeat)).toEqual(
          Array.from({ length: expected[list.indexOf(c)]! }, (_, i) => i),
        );
    });
  }

  it('is empty without chunks', () => {
    expect(planPaperSceneCalls([])).toEqual([]);
  });
});

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let characterId: CharacterId;

const PROFILE = [
  'Ludwig van Beethoven was born in Bonn in 1770, the son of a court musician who drilled him at the keyboard from an early age.',
  'In Vienna he studied with Haydn, won fame as a pianist, and by the end of the century was writing quartets and symphonies for the city’s noble patrons.',
  'His hearing failed from his late twenties. He wrote of despair in the Heiligenstadt Testament, yet composed the Eroica, Fidelio and the late quartets.',
].join('\n\n');

/** The studio responder, with a model that writes one scene whatever number it is asked for. */
function oneScenePerCall() {
  const base = studioResponder();
  return (req: FakeChatRequest) =>
    base({
      ...req,
      messages: req.messages.map((m) => ({
        ...m,
        content: m.content.replace(/Imagine \d+ different/, 'Imagine 1 different'),
      })),
    });
}

async function setup(): Promise<ProviderId> {
  server = await startFakeLlmServer({ responder: oneScenePerCall() });
  characterId = await beethovenWithProfile(env.studio, PROFILE);
  return addFakeProvider(env.studio, server.baseURL, { structuredOutput: false });
}

studioForEachTest(
  (opened) => (env = opened),
  () => server?.close(),
);

describe('the paper preset in a generation job', () => {
  it("leaves the studio's defaults and plan unchanged", async () => {
    const providerId = await setup();
    expect(await call(env.studio, 'generation/defaults', { characterId })).toEqual(DEFAULT_SETTINGS);
    const estimate = await call(env.studio, 'generation/estimate', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 20, scenesPerCall: 5, protectiveShare: 0.1 }),
    });
    expect(estimate.plan).toMatchObject({
      preset: 'studio',
      scenesPerCall: 5,
      scenesAsked: 23,
      expectedScenes: { low: 20, high: 20 },
      protectiveScenes: 2,
      rules: [],
    });
  });

  it('estimates what the preset implies and runs the paper’s plan: 100 calls of 20, no top-up, one protective scene per chunk', async () => {
    const providerId = await setup();
    const defaults = await call(env.studio, 'generation/defaults', { characterId, preset: 'paper' });
    expect(defaults).toMatchObject({ preset: 'paper', scenesPerCall: 20, temperature: 0.7, topP: 0.95 });
    // The paper's plan ignores the protective share: one protective scene per chunk even at 0.
    const settings = { ...defaults, providerId, protectiveShare: 0 };
    const estimate = await call(env.studio, 'generation/estimate', { characterId, settings });
    expect(estimate.plan).toMatchObject({
      preset: 'paper',
      sceneCalls: 100,
      scenesPerCall: 20,
      scenesAsked: 2000,
      expectedScenes: { low: 1400, high: 1900 },
      protectiveScenes: 3,
    });
    expect(estimate.plan.rules.join('\n')).toMatch(/each of the 3 chunks 33 times, then 1 drawn by length \(seed 42\)/);
    expect(estimate.stages.find((s) => s.stage === 'scenes')?.calls).toBe(100);
    expect(estimate.stages.find((s) => s.stage === 'protective')?.calls).toBe(3);

    const started = await call(env.studio, 'generation/start', { characterId, settings });
    expect(started.settings).toMatchObject({ preset: 'paper', targetScenes: 2000, scenesPerCall: 20 });
    const job = await env.studio.generation.whenIdle(started.id);
    expect(job.status).toBe('succeeded');
    expect(job.message).toMatch(/asked for 2,000 scenes and 100 were kept \(5%; the paper kept 70–95%\)/);

    const items = env.studio.db
      .prepare("SELECT key, input FROM job_items WHERE job_id = ? AND stage = 'scenes'")
      .all(job.id) as { key: string; input: string }[];
    expect(items).toHaveLength(100);
    expect(items.some((i) => i.key.startsWith('scenes:topup'))).toBe(false);
    expect(items.every((i) => (JSON.parse(i.input) as { count: number }).count === 20)).toBe(true);
    const prompts = env.studio.db
      .prepare('SELECT messages FROM llm_calls WHERE job_id = ?')
      .pluck()
      .all(job.id) as string[];
    expect(prompts.filter((m) => m.includes('Imagine 20 different concrete scenes'))).toHaveLength(100);
    const experiencePrompts = prompts.filter((m) => m.includes('Write the scene below'));
    expect(experiencePrompts).toHaveLength(100);
    expect(
      experiencePrompts.every((m) => m.includes('at least 1,200 words') && m.includes('Only Beethoven may have')),
    ).toBe(true);
    // One protective scene per chunk, each written from its own chunk.
    const protectivePrompts = prompts.filter((m) => m.includes('keeps pressing'));
    expect(protectivePrompts).toHaveLength(3);
    for (const paragraph of PROFILE.split('\n\n'))
      expect(protectivePrompts.filter((m) => m.includes(JSON.stringify(paragraph).slice(1, 40)))).toHaveLength(1);
    expect(job.stages.map((s) => [s.stage, s.done, s.total])).toEqual([
      ['limits', 1, 1],
      ['scenes', 100, 100],
      ['experiences', 100, 100],
      ['protective', 3, 3],
    ]);
  });

  it("runs once from no scenes: the same plan again does nothing, and adding scenes uses the studio's plan", async () => {
    const providerId = await setup();
    const defaults = await call(env.studio, 'generation/defaults', { characterId, preset: 'paper' });
    const settings = { ...defaults, providerId };
    const first = await call(env.studio, 'generation/start', { characterId, settings });
    expect((await env.studio.generation.whenIdle(first.id)).status).toBe('succeeded');

    const again = await call(env.studio, 'generation/estimate', { characterId, settings });
    expect(again.hasWork).toBe(false);
    expect(again.stages.find((s) => s.stage === 'scenes')?.calls).toBe(0);
    await expect(call(env.studio, 'generation/start', { characterId, settings })).rejects.toThrow(/is met/);
    await expect(call(env.studio, 'generation/estimate', { characterId, settings, more: 10 })).rejects.toThrow(
      /studio's plan/,
    );
    // The form remembers the paper plan for this character.
    expect(await call(env.studio, 'generation/defaults', { characterId })).toMatchObject({ preset: 'paper' });
  });

  it('is chosen on the command line with --preset paper, which refuses options it sets itself', async () => {
    await setup();
    const out: string[] = [];
    const cli = (args: string[]) =>
      runCli([...args, '--data-dir', env.dir], {
        out: (t) => out.push(t),
        err: (t) => out.push(t),
        stdin: () => Promise.resolve(Buffer.alloc(0)),
      });
    expect(await cli(['generate', 'Beethoven', '--provider', 'Fake', '--preset', 'paper', '--estimate'])).toBe(0);
    expect(out.join('\n')).toMatch(
      /Plan \(paper\): 100 scene calls of 20 \(2000 scenes asked\), 1400–1900 scenes expected, 3 protective/,
    );
    out.length = 0;
    expect(await cli(['generate', 'Beethoven', '--provider', 'Fake', '--preset', 'paper', '--target', '40'])).toBe(2);
    expect(out.join('\n')).toMatch(/--preset paper sets the scene numbers.*leave out --target/);
  });
});
