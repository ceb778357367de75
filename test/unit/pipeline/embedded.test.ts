import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, ProviderId } from '../../../common/contract';
import { Studio } from '../../../main/core/studio';
import { fixture, tempDir } from '../../support/paths';
import { addEmbeddedProvider, call, createBeethoven } from '../../support/studio';
import { TEST_THREADS, writeTinyGguf } from '../../support/tiny-gguf';

/**
 * The offline default: a GGUF model run in-process. The model is the suite's own tiny random-weight
 * GGUF, so its words are nonsense, but the JSON-schema grammar still forces well-formed scenes.
 */
let tmp: ReturnType<typeof tempDir>;
let studio: Studio;
let characterId: CharacterId;
let providerId: ProviderId;

beforeAll(async () => {
  tmp = tempDir('cs-embedded-');
  studio = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test', embeddedThreads: TEST_THREADS });
  characterId = await createBeethoven(studio);
  // A short profile keeps prompts small: the tiny model's byte-level vocabulary spends a token a character.
  const firstParagraph = fs.readFileSync(fixture('wiki_Beethoven.txt'), 'utf8').split('\n\n')[2]!;
  await call(studio, 'profiles/import', { characterId, text: firstParagraph.split('. ').slice(0, 3).join('. ') + '.' });
  const modelPath = writeTinyGguf(`${tmp.dir}/tiny.gguf`, { contextLength: 4096 });
  providerId = await addEmbeddedProvider(studio, modelPath, 120_000);
});
afterAll(async () => {
  await studio.shutdown();
  tmp.cleanup();
});

/** `text` as the database gives it back (through UTF-8, where a lone surrogate does not survive). */
const asStored = (text: string): string => studio.db.prepare('SELECT ?').pluck().get(text) as string;

describe('generation with the embedded GGUF model', () => {
  it('passes the connection check', async () => {
    const check = await call(studio, 'providers/test', { id: providerId });
    expect(check.ok, check.summary).toBe(true);
  });

  it('produces schema-valid scenes under a grammar, recorded with their calls', async () => {
    const job = await call(studio, 'generation/start', {
      characterId,
      settings: {
        providerId,
        // One scene a call: each call stops within 550 tokens (the scenes stage's cap for one scene).
        targetScenes: 1,
        scenesPerCall: 1,
        protectiveShare: 0,
        temperature: 0.8,
        topP: 0.95,
        maxTokens: 1024,
        budgetUsd: null,
        dedupeThreshold: 0.99,
      },
    });
    // Random weights cannot write Beethoven's lines, so stop once the scenes are in (experiences
    // overlap the scene calls, so the job's stage alone does not say so).
    const off = studio.events.subscribe((name) => {
      if (name !== 'dataset/changed' && name !== 'jobs/progressed') return;
      const scenes = studio.jobs.get(job.id).stages.find((s) => s.stage === 'scenes');
      if (scenes && scenes.total > 0 && scenes.done >= scenes.total) {
        off();
        void call(studio, 'jobs/cancel', { id: job.id });
      }
    });
    const final = await studio.generation.whenIdle(job.id);
    off();
    const { scenes } = await call(studio, 'scenes/list', { characterId, limit: 10 });
    expect(scenes.length, JSON.stringify(final.recentFailures)).toBeGreaterThan(0);
    for (const summary of scenes) {
      const scene = await call(studio, 'scenes/get', { id: summary.id });
      expect(typeof scene.type).toBe('string');
      expect(scene.location.length).toBeGreaterThan(0);
      expect(scene.background.length).toBeGreaterThan(0);
      expect(Array.isArray(scene.people)).toBe(true);
      const [record] = await call(studio, 'calls/get', { id: scene.callId! });
      expect(record).toMatchObject({ provider: 'embedded', providerLabel: 'Tiny' });
      // The answer is the grammar's JSON, possibly cut at the token limit with whole scenes salvaged.
      expect(record!.response!.trimStart().startsWith('{')).toBe(true);
      // The model may write any JSON escape (`\/` for `/`), so compare the decoded literals, as
      // stored: a `\ud800` escape decodes to a lone surrogate, which SQLite's UTF-8 keeps as U+FFFD.
      const locations = [...record!.response!.matchAll(/"location"\s*:\s*("(?:[^"\\]|\\.)*")/g)].map((m) =>
        asStored(JSON.parse(m[1]!) as string),
      );
      expect(locations.some((l) => l.includes(scene.location))).toBe(true);
    }
    expect(final.stages.find((s) => s.stage === 'scenes')).toMatchObject({ done: scenes.length });
    for (const failure of final.recentFailures) expect(failure.reason.length).toBeGreaterThan(10);
  }, 180_000);
});
