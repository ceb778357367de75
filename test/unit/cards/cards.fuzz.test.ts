import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngWith } from '../../support/cards';
import { call, makeStudio } from '../../support/studio';
import { zip } from '../../support/zip';
import { NO_HANG_MS } from '../../support/ceilings';

// Property-based fuzzing of the card importers (JSON, PNG chunks, CHARX zips): random and garbled
// files never crash the studio (no `internal` error), never hang (each import under a second), and
// never import part of a card: a card goes in whole (one character, its profile) or nothing does,
// and the message names the file.

let env: ReturnType<typeof makeStudio>;
beforeAll(() => {
  env = makeStudio();
});
afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
});

const card = {
  spec: 'chara_card_v3',
  spec_version: '3.0',
  data: {
    name: 'Captain Mara Vell',
    description: '{{char}} commands the airship Kestrel.',
    personality: 'Dry wit.',
    scenario: '{{user}} has stowed away.',
    first_mes: 'Well.',
    mes_example: '',
    creator_notes: '',
    system_prompt: '',
    post_history_instructions: '',
    alternate_greetings: [],
    tags: [],
    creator: '',
    character_version: '',
    extensions: {},
    group_only_greetings: [],
    assets: [{ type: 'icon', uri: 'embeded://assets/icon.png', name: 'main', ext: 'png' }],
  },
};
const cardJson = JSON.stringify(card);

/** Bytes with a few deleted, replaced or inserted at random places. */
const garbled = (bytes: Buffer) =>
  fc
    .array(
      fc.tuple(
        fc.nat({ max: bytes.length - 1 }),
        fc.constantFrom('delete', 'replace', 'insert'),
        fc.integer({ min: 0, max: 255 }),
      ),
      {
        minLength: 1,
        maxLength: 6,
      },
    )
    .map((edits) => {
      let out = Buffer.from(bytes);
      for (const [at, op, byte] of edits) {
        const i = Math.min(at, out.length);
        const b = Buffer.from([byte]);
        out =
          op === 'delete'
            ? Buffer.concat([out.subarray(0, i), out.subarray(i + 1)])
            : op === 'replace'
              ? Buffer.concat([out.subarray(0, i), b, out.subarray(i + 1)])
              : Buffer.concat([out.subarray(0, i), b, out.subarray(i)]);
      }
      return out;
    });

/** A card whose fields hold any JSON at all. */
const wildCard = fc
  .record({
    spec: fc.oneof(fc.constantFrom('chara_card_v2', 'chara_card_v3', undefined), fc.string()),
    spec_version: fc.oneof(fc.constantFrom('2.0', '3.0', '3.5', '4.0'), fc.jsonValue()),
    data: fc.oneof(
      fc.dictionary(fc.constantFrom(...Object.keys(card.data)), fc.jsonValue({ maxDepth: 2 })),
      fc.record({ name: fc.string({ maxLength: 300 }), description: fc.string({ maxLength: 200 }) }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  })
  .map((value) => Buffer.from(JSON.stringify(value)));

const files: fc.Arbitrary<[string, Buffer]> = fc.oneof(
  fc.tuple(fc.constant('fuzz.json'), wildCard),
  fc.tuple(fc.constant('fuzz.json'), garbled(Buffer.from(cardJson))),
  fc.tuple(
    fc.constant('fuzz.json'),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  ),
  fc.tuple(fc.constant('fuzz.png'), garbled(pngWith({ ccv3: Buffer.from(cardJson).toString('base64') }))),
  fc.tuple(
    fc.constant('fuzz.png'),
    wildCard.map((b) => pngWith({ chara: b.toString('base64') })),
  ),
  fc.tuple(
    fc.constant('fuzz.png'),
    fc
      .string({ unit: 'binary', maxLength: 200 })
      .map((s) => pngWith({ ccv3: Buffer.from(s, 'latin1').toString('latin1') })),
  ),
  fc.tuple(
    fc.constant('fuzz.charx'),
    garbled(
      zip([
        { name: 'card.json', data: Buffer.from(cardJson), deflate: true },
        { name: 'assets/icon.png', data: pngWith({}) },
      ]),
    ),
  ),
  fc.tuple(
    fc.constant('fuzz.charx'),
    fc
      .array(fc.tuple(fc.string({ maxLength: 30 }), fc.uint8Array({ maxLength: 40 })), { maxLength: 5 })
      .map((entries) =>
        zip([
          { name: 'card.json', data: Buffer.from(cardJson) },
          ...entries.map(([name, data]) => ({ name, data: Buffer.from(data) })),
        ]),
      ),
  ),
);

async function property(name: string, bytes: Buffer): Promise<void> {
  const characters = (await call(env.studio, 'characters/list', {})).length;
  const chunks = env.studio.db.prepare('SELECT count(*) FROM chunks').pluck().get() as number;
  const started = performance.now();
  const outcome = await env.studio.invoke('cards/import', { fileBase64: bytes.toString('base64'), fileName: name });
  expect(performance.now() - started).toBeLessThan(NO_HANG_MS);
  if (outcome.ok) {
    const { character, profile } = outcome.result as { character: { id: string }; profile: { chunks: unknown[] } };
    expect(await call(env.studio, 'characters/list', {})).toHaveLength(characters + 1);
    expect(profile.chunks.length).toBeGreaterThan(0);
    // Gone again, so the next card of the same name is not a conflict.
    await env.studio.invoke('characters/delete', { id: character.id });
  } else {
    expect(outcome.error.code, outcome.error.message).not.toBe('internal');
    expect(outcome.error.message).toContain(name);
    expect(await call(env.studio, 'characters/list', {})).toHaveLength(characters);
    expect(env.studio.db.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(chunks);
  }
}

describe('card importers under random and garbled files', () => {
  it('never crash, hang or import part of a card', async () => {
    await fc.assert(
      fc.asyncProperty(files, ([name, bytes]) => property(name, bytes)),
      { numRuns: 300 },
    );
  }, 120_000);
});
