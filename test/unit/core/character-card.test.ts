import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, callError, makeStudio } from '../../support/studio';

/** Builds a PNG (signature, IHDR, one tEXt chunk, IEND) the way card editors embed cards. */
function pngWithText(keyword: string, text: string): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]); // CRC is not checked by readers here
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const cardV2 = {
  spec: 'chara_card_v2',
  spec_version: '2.0',
  data: {
    name: 'Captain Mara Vell',
    description: '{{char}} commands the airship Kestrel.\n\nShe lost her brother in the storm of 1889.',
    personality: 'Dry wit, fiercely loyal, distrusts {{user}} at first.',
    scenario: '{{user}} has stowed away on the Kestrel.',
    first_mes: 'Well. What do we have here?',
    mes_example: '<START>\n{{user}}: Who are you?\n{{char}}: The one who decides if you walk the plank.',
  },
};

let env: ReturnType<typeof makeStudio>;
beforeEach(() => {
  env = makeStudio();
});
afterEach(() => env.cleanup());

async function character() {
  return call(env.studio, 'characters/create', { fullName: 'Mara Vell', shortName: 'Mara', era: '1890s', notes: '' });
}

describe('character cards', () => {
  it('imports a V2 card from JSON as a Markdown profile with names filled in', async () => {
    const c = await character();
    const profile = await call(env.studio, 'profiles/import', {
      characterId: c.id,
      fileBase64: Buffer.from(JSON.stringify(cardV2)).toString('base64'),
      fileName: 'mara.json',
    });
    expect(profile).toMatchObject({ title: 'Captain Mara Vell', format: 'markdown' });
    const text = profile.chunks.map((chunk) => chunk.text).join('\n\n');
    expect(text).toContain('Captain Mara Vell commands the airship Kestrel.');
    expect(text).toContain('distrusts the visitor at first');
    expect(text).not.toMatch(/\{\{(char|user)\}\}/);
    expect(profile.chunks.map((chunk) => chunk.heading)).toContain('Personality');
  });

  it('imports a card embedded in a PNG (V2 "chara" and V3 "ccv3")', async () => {
    const c = await character();
    for (const keyword of ['chara', 'ccv3']) {
      const png = pngWithText(
        keyword,
        Buffer.from(
          JSON.stringify({ ...cardV2, spec: keyword === 'ccv3' ? 'chara_card_v3' : 'chara_card_v2' }),
        ).toString('base64'),
      );
      const profile = await call(env.studio, 'profiles/import', {
        characterId: c.id,
        fileBase64: png.toString('base64'),
        fileName: `mara-${keyword}.png`,
      });
      expect(profile.chunks[0]!.text).toContain('commands the airship Kestrel');
    }
  });

  it('explains a picture without a card, JSON that is not a card, and a card with nothing in it', async () => {
    const c = await character();
    const png = pngWithText('Comment', 'just a photo');
    expect(
      (
        await callError(env.studio, 'profiles/import', {
          characterId: c.id,
          fileBase64: png.toString('base64'),
          fileName: 'photo.png',
        })
      ).message,
    ).toMatch(/picture without a character card/);
    const notCard = Buffer.from(JSON.stringify({ hello: 'world' })).toString('base64');
    expect(
      (await callError(env.studio, 'profiles/import', { characterId: c.id, fileBase64: notCard, fileName: 'x.json' }))
        .message,
    ).toMatch(/not a character card/);
    const empty = Buffer.from(JSON.stringify({ name: 'Nobody' })).toString('base64');
    expect(
      (await callError(env.studio, 'profiles/import', { characterId: c.id, fileBase64: empty, fileName: 'e.json' }))
        .message,
    ).toMatch(/card of Nobody is empty/);
    expect(await call(env.studio, 'profiles/list', { characterId: c.id })).toEqual([]);
  });
});
