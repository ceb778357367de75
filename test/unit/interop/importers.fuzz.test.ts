import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, ImportFormat } from '../../../common/contract';
import { LINE_FORMATS } from '../../../main/core/interop/registry';
import type { InteropScene } from '../../../main/core/interop/scene-record';
import { call, createBeethoven, makeStudio } from '../../support/studio';
import { NO_HANG_MS } from '../../support/ceilings';

// Property-based fuzzing of every importer: random and garbled files never crash the studio (no
// `internal` error), never hang (each import under a second), and never import part of a file:
// either every item goes in, or none does and the message names the file.

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;

beforeAll(async () => {
  env = makeStudio();
  characterId = await createBeethoven(env.studio);
});
afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
});

const sample: InteropScene = {
  id: 's1',
  kind: 'normal',
  fullName: 'Ludwig van Beethoven',
  shortName: 'Beethoven',
  location: 'Bonn',
  background: 'A cold loft.',
  protective: false,
  turns: [
    { speaker: 'Beethoven', kind: 'thinking', text: 'Again?' },
    { speaker: 'Neefe', kind: 'speaking', text: 'Again: slower.\nMuch slower.' },
    { speaker: 'Beethoven', kind: 'speaking', text: 'Ja.' },
  ],
};

const validLines: Record<string, string> = Object.fromEntries(
  Object.values(LINE_FORMATS).map((f) => [f.id, f.write(sample)]),
);
const validLists: Record<string, string> = {
  'paper-dialogue': JSON.stringify([
    {
      setting: ['A cold loft.'],
      dialogue: [{ role: 'Beethoven', action: '(speaking)', content: 'Ja.' }],
      location: 'Bonn',
      source: 'seed_dialogue_0',
    },
  ]),
  'paper-scenes': JSON.stringify([
    { type: 'chat', location: 'Bonn', background: 'A cold loft.', source: 'seed_scene_0_c0' },
  ]),
};

/** A text with a few characters deleted, replaced or inserted at random places. */
const garbled = (text: string) =>
  fc
    .array(
      fc.tuple(
        fc.nat({ max: Math.max(0, text.length - 1) }),
        fc.constantFrom('delete', 'replace', 'insert'),
        fc.string({ minLength: 1, maxLength: 3 }),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((edits) => {
      let out = text;
      for (const [at, op, s] of edits) {
        const i = Math.min(at, out.length);
        out =
          op === 'delete'
            ? out.slice(0, i) + out.slice(i + 1)
            : op === 'replace'
              ? out.slice(0, i) + s + out.slice(i + 1)
              : out.slice(0, i) + s + out.slice(i);
      }
      return out;
    });

const lineFiles = (valid: string) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc
      .array(
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
        { maxLength: 5 },
      )
      .map((l) => l.join('\n')),
    fc.array(fc.oneof(fc.constant(valid), garbled(valid)), { minLength: 1, maxLength: 5 }).map((l) => l.join('\n')),
  );

const listFiles = (valid: string) =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? '[]'),
    garbled(valid),
    fc.string({ maxLength: 200 }).map((s) => `[${s}`),
  );

async function property(format: ImportFormat, name: string, content: string): Promise<void> {
  const before = (await call(env.studio, 'dataset/stats', { characterId })).scenes;
  const started = performance.now();
  const outcome = await env.studio.invoke('dataset/import', {
    characterId,
    format,
    fileBase64: Buffer.from(content, 'utf8').toString('base64'),
    fileName: name,
  });
  expect(performance.now() - started).toBeLessThan(NO_HANG_MS);
  const after = (await call(env.studio, 'dataset/stats', { characterId })).scenes;
  if (outcome.ok) {
    const report = outcome.result as { scenes: number };
    expect(report.scenes).toBeGreaterThan(0);
    expect(after).toBe(before + report.scenes);
  } else {
    expect(outcome.error.code, outcome.error.message).not.toBe('internal');
    expect(outcome.error.message).toContain(name);
    expect(after).toBe(before);
  }
}

describe('importers under random and garbled files', () => {
  for (const format of ['auto', 'paper', 'sharegpt', 'openai', 'alpaca'] as const) {
    it(`${format}: JSON lines`, async () => {
      const valid = validLines[format === 'auto' ? 'paper' : format]!;
      await fc.assert(
        fc.asyncProperty(lineFiles(valid), (content) => property(format, `fuzz-${format}.jsonl`, content)),
        { numRuns: 60 },
      );
    });
  }
  for (const format of ['paper-dialogue', 'paper-scenes'] as const) {
    it(`${format}: JSON lists`, async () => {
      await fc.assert(
        fc.asyncProperty(listFiles(validLists[format]!), (content) => property(format, `fuzz-${format}.json`, content)),
        { numRuns: 60 },
      );
    });
  }
});
