import { describe, expect, it } from 'vitest';
import type { CharacterId, ProviderId } from '../../../common/contract';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { studioResponder } from '../../support/studio-responder';
import {
  addFakeProvider,
  beethovenWithProfile,
  call,
  generationSettings,
  type makeStudio,
  studioForEachTest,
} from '../../support/studio';
import { tinyTrainingConfig } from '../trainer/fixtures';
import { runCli } from '../../../main/cli/main';

/**
 * Nothing the model wrote is dropped silently: a model that gives another speaker a thinking turn
 * (against the method) gets its turn kept, marked as a problem on the experience, listed and counted
 * by the Dataset commands, and the training estimate says what the export does with it.
 */

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let characterId: CharacterId;

async function setup(structured: boolean): Promise<ProviderId> {
  server = await startFakeLlmServer({ responder: studioResponder({ othersThinkEvery: 2 }) });
  characterId = await beethovenWithProfile(env.studio);
  return addFakeProvider(env.studio, server.baseURL, { structuredOutput: structured, maxConcurrency: 2 });
}

studioForEachTest(
  (opened) => (env = opened),
  () => server?.close(),
);

describe('format problems in generated experiences', () => {
  for (const structured of [false, true]) {
    it(`keeps another speaker's thinking turn, records it on the item and counts it (${structured ? 'JSON' : 'text'})`, async () => {
      const providerId = await setup(structured);
      const started = await call(env.studio, 'generation/start', {
        characterId,
        settings: generationSettings(providerId, { targetScenes: 4, scenesPerCall: 4, protectiveShare: 0 }),
      });
      const job = await env.studio.generation.whenIdle(started.id);
      expect(job.status).toBe('succeeded');

      const all = await call(env.studio, 'scenes/list', { characterId, limit: 50 });
      expect(all.scenes).toHaveLength(4);
      const marked = await call(env.studio, 'scenes/list', { characterId, limit: 50, problems: true });
      expect(marked.scenes).toHaveLength(2);
      for (const summary of marked.scenes) {
        expect(summary).toMatchObject({ hasExperience: true, turns: 7, problems: { other_thinking: 1 } });
        expect(summary).not.toHaveProperty('experience');
        const experience = (await call(env.studio, 'scenes/get', { id: summary.id })).experience!;
        expect(experience.turns).toHaveLength(7);
        const [problem] = experience.problems;
        expect(experience.problems).toHaveLength(1);
        expect(problem).toMatchObject({ code: 'other_thinking', turn: 1 });
        expect(problem!.message).toMatch(/Neefe has a thinking turn, but only Beethoven may think/);
        expect(experience.turns[problem!.turn!]).toEqual({
          speaker: 'Neefe',
          kind: 'thinking',
          text: 'He has not practised.',
        });
      }
      const clean = all.scenes.filter((s) => !marked.scenes.some((m) => m.id === s.id));
      expect(clean.every((s) => Object.keys(s.problems).length === 0 && s.turns === 6)).toBe(true);

      const stats = await call(env.studio, 'dataset/stats', { characterId });
      expect(stats).toMatchObject({
        experiences: 4,
        turns: 2 * 7 + 2 * 6,
        experiencesWithProblems: 2,
        problems: { other_thinking: 2 },
      });

      const estimate = await call(env.studio, 'training/estimate', {
        characterId,
        config: tinyTrainingConfig('Qwen/Qwen2.5-0.5B-Instruct', 'local'),
      });
      expect(estimate.warnings).toContainEqual(
        expect.stringMatching(
          /^2 thinking turns by other speakers \(in 2 scenes\) will be left out of the training data/,
        ),
      );

      // A run says it on its card: the dataset file was written without them. The interpreter is
      // not Python, so the launch is refused; the run and its warning were written before it.
      await expect(
        call(env.studio, 'training/start', {
          characterId,
          config: { ...tinyTrainingConfig('Qwen/Qwen2.5-0.5B-Instruct', 'local'), python: '/bin/false' },
        }),
      ).rejects.toThrow(/could not run/);
      const [run] = await call(env.studio, 'training/list', { characterId });
      expect(run!.warnings).toContainEqual(
        expect.objectContaining({
          code: 'dataset_turns_left_out',
          message: expect.stringMatching(/^2 thinking turns by other speakers/) as unknown,
        }),
      );

      // The same, through the command line.
      const out: string[] = [];
      const cli = (args: string[]) =>
        runCli([...args, '--data-dir', env.dir], {
          out: (t) => out.push(t),
          err: (t) => out.push(t),
          stdin: () => Promise.resolve(Buffer.alloc(0)),
        });
      expect(await cli(['dataset', 'stats', 'Beethoven'])).toBe(0);
      expect(out.join('\n')).toMatch(/2 experiences have parts that did not fit the format: other_thinking 2/);
      out.length = 0;
      expect(await cli(['dataset', 'problems', 'Beethoven', '--json'])).toBe(0);
      const listed = JSON.parse(out.join('\n')) as { id: string }[];
      expect(listed.map((s) => s.id).sort()).toEqual(marked.scenes.map((s) => s.id).sort());
    });
  }
});

describe('scene blocks that cannot be read', () => {
  for (const structured of [false, true]) {
    it(`are left out and said on the job, not dropped silently (${structured ? 'JSON' : 'text'})`, async () => {
      server = await startFakeLlmServer({ responder: studioResponder({ sceneWithoutLocationEvery: 3 }) });
      characterId = await beethovenWithProfile(env.studio);
      const providerId = await addFakeProvider(env.studio, server.baseURL, { structuredOutput: structured });
      const started = await call(env.studio, 'generation/start', {
        characterId,
        settings: generationSettings(providerId, { targetScenes: 4, scenesPerCall: 6, protectiveShare: 0 }),
      });
      const job = await env.studio.generation.whenIdle(started.id);
      expect(job.status).toBe('succeeded');
      expect(job.notedItems).toBeGreaterThan(0);
      expect(job.notes[0]!.stage).toBe('scenes');
      expect(job.notes[0]!.text).toMatch(/^1 of \d+ scene blocks could not be read and were left out: .*location/i);
      // The scenes that were read are all there, and none lacks its location.
      const listed = await call(env.studio, 'scenes/list', { characterId, limit: 50 });
      expect(listed.scenes).toHaveLength(4);
      expect(listed.scenes.every((s) => s.location !== '')).toBe(true);
    });
  }
});
