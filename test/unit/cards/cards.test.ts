/** Character cards in and out, through the studio's commands on a real SQLite file. */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CardFormat, CharacterId } from '../../../common/contract';
import {
  cardChunks,
  jsonType,
  pngChunkList,
  pngWith,
  V2_REQUIRED,
  V3_OPTIONAL,
  V3_REQUIRED,
} from '../../support/cards';
import { runCliIn } from '../../support/cli';
import { tempDir } from '../../support/paths';
import { call, callError, createBeethoven, makeStudio } from '../../support/studio';
import { zip } from '../../support/zip';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

const maraV2 = {
  spec: 'chara_card_v2',
  spec_version: '2.0',
  data: {
    name: 'Captain Mara Vell',
    description: '{{char}} commands the airship Kestrel.',
    personality: 'Dry wit, fiercely loyal.',
    scenario: '{{user}} has stowed away on the Kestrel.',
    first_mes: 'Well. What do we have here?',
    mes_example: '<START>\n{{user}}: Who are you?\n{{char}}: The one who decides.',
    creator_notes: 'For airship stories.',
    system_prompt: '',
    post_history_instructions: '',
    alternate_greetings: ['Ahoy.'],
    tags: ['airship'],
    creator: 'June',
    character_version: '1.2',
    extensions: { other_app: { mood: 'stormy' } },
  },
};

let env: ReturnType<typeof makeStudio>;
beforeEach(() => {
  env = makeStudio();
});
afterEach(() => env.cleanup());

const importCard = (bytes: Buffer, fileName: string, characterId?: CharacterId) =>
  call(env.studio, 'cards/import', {
    fileBase64: bytes.toString('base64'),
    fileName,
    ...(characterId && { characterId }),
  });
const importError = (bytes: Buffer, fileName: string) =>
  callError(env.studio, 'cards/import', { fileBase64: bytes.toString('base64'), fileName });
const exported = async (characterId: CharacterId, format: CardFormat) => {
  const card = await call(env.studio, 'cards/export', { characterId, format });
  return { card, bytes: Buffer.from(card.base64, 'base64') };
};

function expectFields(data: Record<string, unknown>, required: Record<string, string>): void {
  for (const [field, type] of Object.entries(required)) expect([field, jsonType(data[field])]).toEqual([field, type]);
}

/** Nothing of a failed import is left: no character, no profile, no picture. */
async function expectNothingSaved(): Promise<void> {
  expect(await call(env.studio, 'characters/list', {})).toEqual([]);
  expect(env.studio.db.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(0);
  expect(env.studio.db.prepare('SELECT count(*) FROM character_images').pluck().get()).toBe(0);
}

describe('cards in', () => {
  it('creates a character from a V2 JSON card, with its profile and provenance', async () => {
    const result = await importCard(Buffer.from(JSON.stringify(maraV2)), 'mara.json');
    expect(result.spec).toBe('v2');
    expect(result.character).toMatchObject({ fullName: 'Captain Mara Vell', shortName: 'Captain', profileCount: 1 });
    // (The display heading of the dialogue chunk also shows its `<START>` line.)
    expect(result.profile.chunks.map((c) => c.heading?.split(' · ')[0])).toEqual([
      'Description',
      'Personality',
      'Scenario',
      'First message',
      'Example dialogue',
    ]);
    expect(result.profile.provenance).toMatchObject({ kind: 'card', author: 'June', revision: '1.2' });
  });

  it('reads V1 cards, flat JSON and in a PNG "chara" chunk', async () => {
    const v1 = {
      name: 'Old Tom',
      description: '{{char}} keeps the lighthouse.',
      personality: 'Gruff.',
      scenario: 'A storm.',
      first_mes: 'Shut the door!',
      mes_example: '',
    };
    const json = await importCard(Buffer.from(JSON.stringify(v1)), 'tom.json');
    expect(json.spec).toBe('v1');
    expect(json.profile.chunks[0]!.text).toContain('Old Tom keeps the lighthouse.');
    const png = await importCard(pngWith({ chara: b64({ ...v1, name: 'Young Tom' }) }), 'young-tom.png');
    expect(png).toMatchObject({ spec: 'v1', image: true, character: { fullName: 'Young Tom', hasImage: true } });
  });

  it('prefers the V3 "ccv3" chunk over "chara" when a PNG has both', async () => {
    const v3 = {
      spec: 'chara_card_v3',
      spec_version: '3.0',
      data: { ...maraV2.data, name: 'Mara (V3)', group_only_greetings: [] },
    };
    const result = await importCard(pngWith({ chara: b64(maraV2), ccv3: b64(v3) }), 'both.png');
    expect(result.spec).toBe('v3');
    expect(result.character.fullName).toBe('Mara (V3)');
    expect(result.character.shortName).toBe('Mara');
  });

  it('reads a CHARX zip: card.json and its icon, which becomes the character picture', async () => {
    const icon = pngWith({}, 3);
    const card = {
      spec: 'chara_card_v3',
      spec_version: '3.0',
      data: {
        ...maraV2.data,
        group_only_greetings: [],
        nickname: 'Mara',
        assets: [
          { type: 'icon', uri: 'embeded://assets/icon/images/main.png', name: 'main', ext: 'png' },
          { type: 'background', uri: 'embeded://assets/background/images/sky.png', name: 'sky', ext: 'png' },
        ],
      },
    };
    const archive = zip([
      { name: 'card.json', data: Buffer.from(JSON.stringify(card)), deflate: true },
      { name: 'assets/icon/images/main.png', data: icon },
      { name: 'assets/background/images/sky.png', data: pngWith({}, 5) },
    ]);
    const result = await importCard(archive, 'mara.charx');
    expect(result).toMatchObject({ spec: 'v3', image: true, character: { shortName: 'Mara', hasImage: true } });
    const image = await call(env.studio, 'characters/image', { id: result.character.id });
    expect(image?.mime).toBe('image/png');
    expect(Buffer.from(image!.base64, 'base64').equals(icon)).toBe(true);
    // Exported as a PNG, the card is written into that picture.
    const { card: out, bytes } = await exported(result.character.id, 'v3-png');
    expect(out.ownImage).toBe(true);
    const ihdr = pngChunkList(bytes)[0]!;
    expect([ihdr.type, ihdr.data.readUInt32BE(0)]).toEqual(['IHDR', 3]);
  });

  it('keeps no picture whose bytes are not an image, whatever its name says', async () => {
    const card = {
      spec: 'chara_card_v3',
      spec_version: '3.0',
      data: {
        ...maraV2.data,
        group_only_greetings: [],
        assets: [{ type: 'icon', uri: 'embeded://assets/icon/main.png', name: 'main', ext: 'png' }],
      },
    };
    const archive = zip([
      { name: 'card.json', data: Buffer.from(JSON.stringify(card)) },
      { name: 'assets/icon/main.png', data: Buffer.from('#!/bin/sh\necho not a picture\n') },
    ]);
    const result = await importCard(archive, 'fake-icon.charx');
    expect(result).toMatchObject({ image: false, character: { hasImage: false } });
  });

  it('adds a card to an existing character as a profile, through cards/import and profiles/import', async () => {
    const first = await importCard(Buffer.from(JSON.stringify(maraV2)), 'mara.json');
    const again = await importCard(pngWith({ chara: b64(maraV2) }), 'mara.png', first.character.id);
    expect(again.character.profileCount).toBe(2);
    const charx = zip([{ name: 'card.json', data: Buffer.from(JSON.stringify(maraV2)) }]);
    const profile = await call(env.studio, 'profiles/import', {
      characterId: first.character.id,
      fileBase64: charx.toString('base64'),
      fileName: 'mara.charx',
    });
    expect(profile.provenance?.kind).toBe('card');
  });
});

describe('bad cards are refused whole, naming the file', () => {
  it('a PNG without a card, malformed base64 and JSON, an unknown spec version', async () => {
    const cases: [Buffer, string, RegExp][] = [
      [pngWith({ Comment: 'hello' }), 'photo.png', /photo\.png is a picture without a character card/],
      [pngWith({ chara: 'not base64 at all!' }), 'broken.png', /"chara" card chunk inside broken\.png is not base64/],
      [
        pngWith({ ccv3: Buffer.from('{"spec": ').toString('base64') }),
        'cut.png',
        /"ccv3" card inside cut\.png is not valid JSON/,
      ],
      [Buffer.from('{"name": "x",'), 'cut.json', /cut\.json is not valid JSON/],
      [Buffer.from('[1, 2]'), 'list.json', /list\.json is JSON but not a character card/],
      [
        Buffer.from(JSON.stringify({ ...maraV2, spec: 'chara_card_v4' })),
        'v4.json',
        /v4\.json is a character card of an unknown spec \("chara_card_v4"/,
      ],
      [
        Buffer.from(JSON.stringify({ ...maraV2, spec: 'chara_card_v3', spec_version: '4.0' })),
        'v3-4.json',
        /unknown spec.*version "4\.0"/,
      ],
      [
        Buffer.from(JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0' })),
        'nodata.json',
        /nodata\.json says it is a chara_card_v2 card but has no "data"/,
      ],
      [Buffer.from([0xff, 0xfe, 0x00, 0x7b]), 'utf16.json', /utf16\.json is not UTF-8 text/],
    ];
    for (const [bytes, name, message] of cases) {
      const error = await importError(bytes, name);
      expect([name, error.message]).toEqual([name, expect.stringMatching(message)]);
    }
    await expectNothingSaved();
  });

  it('a zip whose paths escape its folder (zip slip)', async () => {
    const card = Buffer.from(JSON.stringify(maraV2));
    for (const evil of ['../evil.sh', 'assets/../../evil.sh', '/etc/cron.d/evil', 'assets\\..\\..\\evil.sh']) {
      const error = await importError(
        zip([
          { name: 'card.json', data: card },
          { name: evil, data: card },
        ]),
        'slip.charx',
      );
      expect([evil, error.message]).toEqual([
        evil,
        expect.stringMatching(/slip\.charx is refused: its entry .* points outside the archive's folder/),
      ]);
    }
    await expectNothingSaved();
  });

  it('a zip bomb: too much once unpacked, too many entries, or an entry inflating past its declared size', async () => {
    const card = { name: 'card.json', data: Buffer.from(JSON.stringify(maraV2)) };
    const megabyte = Buffer.alloc(1024 * 1024);
    const deflated = zlib.deflateRawSync(megabyte);
    expect(deflated.length).toBeLessThan(2048);
    const huge = zip([
      card,
      ...Array.from({ length: 70 }, (_, i) => ({ name: `assets/x${i}.bin`, data: megabyte, deflate: true })),
    ]);
    expect(huge.length).toBeLessThan(300 * 1024);
    expect((await importError(huge, 'bomb.charx')).message).toMatch(/bomb\.charx would unpack to more than 64\.0 MB/);
    const many = zip([
      card,
      ...Array.from({ length: 1000 }, (_, i) => ({ name: `assets/${i}.txt`, data: Buffer.from('x') })),
    ]);
    expect((await importError(many, 'many.charx')).message).toMatch(
      /many\.charx holds 1001 files; a CHARX card may hold at most 1000/,
    );
    const liar = zip([{ ...card, deflate: true, declaredSize: 10 }]);
    expect((await importError(liar, 'liar.charx')).message).toMatch(/liar\.charx is a damaged zip archive/);
    const noCard = zip([{ name: 'readme.txt', data: Buffer.from('hi') }]);
    expect((await importError(noCard, 'empty.charx')).message).toMatch(/empty\.charx is a zip without card\.json/);
    await expectNothingSaved();
  });

  it('a card whose name is taken creates nothing', async () => {
    await importCard(Buffer.from(JSON.stringify(maraV2)), 'mara.json');
    const error = await importError(Buffer.from(JSON.stringify(maraV2)), 'mara-again.json');
    expect(error.code).toBe('conflict');
    expect(await call(env.studio, 'characters/list', {})).toHaveLength(1);
  });
});

describe('cards out', () => {
  async function beethoven(): Promise<CharacterId> {
    const id = await createBeethoven(env.studio);
    await call(env.studio, 'profiles/import', {
      characterId: id,
      text: '# Ludwig van Beethoven\n\nLudwig van Beethoven was a German composer and pianist.\n\n## Vienna\n\nHe moved to Vienna in 1792.',
    });
    return id;
  }

  it('writes every field the V2 and V3 specs require, and our parser reads each format back', async () => {
    const id = await beethoven();
    for (const format of ['v2-json', 'v3-json', 'v2-png', 'v3-png'] as const) {
      const { card, bytes } = await exported(id, format);
      const v3 = format.startsWith('v3');
      let cards: Record<string, unknown>;
      if (format.endsWith('png')) {
        expect(card.mime).toBe('image/png');
        expect(card.ownImage).toBe(false); // no picture yet: a generated portrait
        const chunks = pngChunkList(bytes);
        expect(chunks.every((c) => c.crcOk)).toBe(true);
        expect(chunks[0]!.type).toBe('IHDR');
        expect(chunks.at(-1)!.type).toBe('IEND');
        cards = cardChunks(bytes);
        expect(Object.keys(cards).sort()).toEqual(v3 ? ['ccv3', 'chara'] : ['chara']);
      } else {
        cards = { [v3 ? 'ccv3' : 'chara']: JSON.parse(bytes.toString('utf8')) };
      }
      const v2card = cards.chara as { spec: string; spec_version: string; data: Record<string, unknown> } | undefined;
      if (v2card) {
        expect([v2card.spec, v2card.spec_version]).toEqual(['chara_card_v2', '2.0']);
        expectFields(v2card.data, V2_REQUIRED);
      }
      const v3card = cards.ccv3 as { spec: string; spec_version: string; data: Record<string, unknown> } | undefined;
      if (v3card) {
        expect([v3card.spec, v3card.spec_version]).toEqual(['chara_card_v3', '3.0']);
        expectFields(v3card.data, V3_REQUIRED);
        for (const [field, type] of Object.entries(V3_OPTIONAL))
          if (field in v3card.data) expect([field, jsonType(v3card.data[field])]).toEqual([field, type]);
        expect(v3card.data.creation_date).toBe(
          Math.floor((await call(env.studio, 'characters/get', { id })).createdAt / 1000),
        );
      }
      const data = (v3card ?? v2card)!.data;
      expect(data).toMatchObject({
        name: 'Ludwig van Beethoven',
        description: expect.stringContaining('German composer'),
      });
      expect(data.scenario).toMatch(/Coffee Shop - Afternoon/);
      expect(data.creator_notes).toMatch(/Made with Character Studio/);
      // Read back by the studio's own importer, into a fresh studio.
      const other = makeStudio();
      try {
        const back = await call(other.studio, 'cards/import', { fileBase64: card.base64, fileName: card.fileName });
        expect(back.spec).toBe(v3 ? 'v3' : 'v2');
        expect(back.character).toMatchObject({ fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' });
      } finally {
        other.cleanup();
      }
    }
  });

  it('round trips V2 and V3, PNG and JSON: the card fields come back as they went in', async () => {
    const source = await importCard(Buffer.from(JSON.stringify(maraV2)), 'mara.json');
    const filled = (text: string) =>
      text.replace(/\{\{char\}\}/g, 'Captain Mara Vell').replace(/\{\{user\}\}/g, 'the visitor');
    for (const format of ['v2-json', 'v3-json', 'v2-png', 'v3-png'] as const) {
      const { card } = await exported(source.character.id, format);
      const other = makeStudio();
      try {
        const back = await call(other.studio, 'cards/import', { fileBase64: card.base64, fileName: card.fileName });
        const again = await call(other.studio, 'cards/export', { characterId: back.character.id, format });
        const json = format.endsWith('png')
          ? cardChunks(Buffer.from(again.base64, 'base64'))[format.startsWith('v3') ? 'ccv3' : 'chara']
          : JSON.parse(Buffer.from(again.base64, 'base64').toString('utf8'));
        const data = (json as { data: Record<string, string> }).data;
        for (const field of ['description', 'personality', 'scenario', 'first_mes', 'mes_example'] as const)
          expect([format, field, data[field]]).toEqual([format, field, filled(maraV2.data[field])]);
        expect(back.profile.chunks.map((c) => c.text)).toEqual(source.profile.chunks.map((c) => c.text));
      } finally {
        other.cleanup();
      }
    }
  });

  it('names the sources and their licence in the creator notes, and refuses a trained V2 card', async () => {
    const id = await beethoven();
    const error = await callError(env.studio, 'cards/export', { characterId: id, format: 'v2-png', runId: 'run-1' });
    expect(error.message).toMatch(/trained character card is a V3 card/);
    const { bytes } = await exported(id, 'v3-json');
    const data = (JSON.parse(bytes.toString('utf8')) as { data: Record<string, unknown> }).data;
    expect(data.creator_notes).toMatch(/"Ludwig van Beethoven"/);
    expect(data.extensions).toMatchObject({ character_studio: { character_id: id } });
  });
});

describe('the CLI face', () => {
  it('card import reads a CHARX as a new character, card export writes each format', async () => {
    const files = tempDir('cs-card-cli-');
    try {
      const charx = path.join(files.dir, 'mara.charx');
      fs.writeFileSync(charx, zip([{ name: 'card.json', data: Buffer.from(JSON.stringify(maraV2)) }]));
      const imported = await runCliIn(env.dir, ['card', 'import', charx]);
      expect(imported.err).toBe('');
      expect(imported.out).toMatch(
        /Imported the V2 card of Captain Mara Vell as a new character: profile "Captain Mara Vell", 5 chunks/,
      );
      const out = path.join(files.dir, 'mara.png');
      const exported = await runCliIn(env.dir, [
        'card',
        'export',
        'Captain Mara Vell',
        '--format',
        'v3-png',
        '--out',
        out,
      ]);
      expect(exported.out).toMatch(
        /Wrote the V3 card of Captain Mara Vell to .*mara\.png \(\d+ bytes, on a generated portrait\)/,
      );
      expect(Object.keys(cardChunks(fs.readFileSync(out))).sort()).toEqual(['ccv3', 'chara']);
      const bad = await runCliIn(env.dir, ['card', 'export', 'Captain Mara Vell', '--format', 'v9', '--out', out]);
      expect([bad.code, bad.err]).toEqual([
        2,
        expect.stringMatching(/--format v2-png\|v3-png\|v2-json\|v3-json \(not "v9"\)/),
      ]);
      const into = await runCliIn(env.dir, [
        'card',
        'import',
        path.join(files.dir, 'mara.png'),
        '--character',
        'Captain',
      ]);
      expect(into.code).toBe(0);
      expect(into.out).toMatch(
        /Imported the V3 card "Captain Mara Vell \(2\)" into Captain Mara Vell as a profile, \d+ chunks/,
      );
    } finally {
      files.cleanup();
    }
  });
});
