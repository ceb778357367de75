import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, ChunkId, ProfileId } from '../../../common/contract';
import { ProfilesRepo } from '../../../main/store/profiles-repo';
import { call, callError, makeStudio } from '../../support/studio';

/** Profile import through the real studio and SQLite: hostile input (issue 8, points 17–19). */

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
beforeEach(async () => {
  env = makeStudio();
  characterId = (
    await call(env.studio, 'characters/create', { fullName: 'Mara Vell', shortName: 'Mara', era: '1890s', notes: '' })
  ).id;
});
afterEach(() => env.cleanup());

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('titles and file names', () => {
  it('refuses a NUL byte in a title or a file name at once, however often it is tried', async () => {
    for (let i = 0; i < 8; i++) {
      const error = await callError(env.studio, 'profiles/import', {
        characterId,
        text: 'She sailed.',
        title: `\0Logbook ${'x'.repeat(150)}`,
      });
      expect(error).toMatchObject({ code: 'unsupported_file' });
      expect(error.message).toMatch(/^The title contains a NUL byte \(character 1\).*Type the title again/);
    }
    const named = await callError(env.studio, 'profiles/import', {
      characterId,
      fileBase64: base64('She sailed.'),
      fileName: 'log\0book.txt',
    });
    expect(named.message).toMatch(/^The file name contains a NUL byte \(character 4\).*Rename the file/);
    expect(await call(env.studio, 'profiles/list', { characterId })).toEqual([]);
  });

  it('numbers repeated titles (2), (3)… and never cuts an emoji at the length limit', async () => {
    const titles: string[] = [];
    for (let i = 0; i < 12; i++) {
      titles.push((await call(env.studio, 'profiles/import', { characterId, text: 'x.', title: 'Logbook' })).title);
    }
    expect(titles).toEqual(['Logbook', ...Array.from({ length: 11 }, (_, i) => `Logbook (${i + 2})`)]);
    const long = `${'a'.repeat(199)}😀`;
    const first = await call(env.studio, 'profiles/import', { characterId, text: `# ${long}\n\nShe sailed.` });
    expect(first.title).toBe('a'.repeat(199));
    const second = await call(env.studio, 'profiles/import', { characterId, text: `# ${long}\n\nShe sailed.` });
    expect(second.title).toBe(`${'a'.repeat(190)} (2)`);
  });

  it('refuses a profile with a title and no text, and creates nothing', async () => {
    const error = await callError(env.studio, 'profiles/import', { characterId, text: '# Mara Vell\n' });
    expect(error).toMatchObject({ code: 'invalid_argument' });
    expect(error.message).toMatch(/has a title \("Mara Vell"\) but no text under it/);
    expect(await call(env.studio, 'profiles/list', { characterId })).toEqual([]);
  });
});

describe('chunk edits', () => {
  it('refuses chunk text that starts with NUL with a clear 400, and keeps the chunk as it was', async () => {
    const profile = await call(env.studio, 'profiles/import', { characterId, text: 'First.\n\nSecond.' });
    const error = await callError(env.studio, 'chunks/update', { id: profile.chunks[0]!.id, text: '\0abc' });
    expect(error.code).toBe('unsupported_file');
    expect(error.message).toMatch(/^The chunk text contains a NUL byte \(character 1\)/);
    const after = await call(env.studio, 'profiles/list', { characterId });
    expect(after[0]!.chunks.map((chunk) => chunk.text)).toEqual(['First.', 'Second.']);
  });

  it('splits a chunk at a caret between the halves of an emoji without breaking it', async () => {
    const profile = await call(env.studio, 'profiles/import', { characterId, text: 'Sun😀rise over the bay.' });
    const split = await call(env.studio, 'chunks/split', { id: profile.chunks[0]!.id, offset: 4 });
    expect(split.chunks.map((chunk) => chunk.text)).toEqual(['Sun', '😀rise over the bay.']);
  });
});

describe('character cards', () => {
  const card = (data: Record<string, string>) =>
    base64(JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0', data }));

  it("writes names with $&, $' and $1 literally", async () => {
    const profile = await call(env.studio, 'profiles/import', {
      characterId,
      fileName: 'odd.json',
      fileBase64: card({
        name: "A$&B $' $1 $$",
        description: 'Before {{char}} after. {{user}} waits.',
      }),
    });
    expect(profile.title).toBe("A$&B $' $1 $$");
    expect(profile.chunks.map((chunk) => chunk.text)).toEqual([
      "## Description\nBefore A$&B $' $1 $$ after. the visitor waits.",
    ]);
  });

  it('refuses a card that would outgrow a profile once its name is filled in, naming the real file size', async () => {
    const fileBase64 = card({ name: 'N'.repeat(20_000), description: '{{char}} '.repeat(3_000) });
    const error = await callError(env.studio, 'profiles/import', { characterId, fileName: 'big.json', fileBase64 });
    expect(error.code).toBe('too_large');
    expect(error.message).toMatch(
      /^The card in big\.json \(a 46\.0 KB file\) would become a 57\.3 MB profile once its name \(20000 characters\) is written in for \{\{char\}\} 3000 times; a profile can be at most 8\.0 MB\./,
    );
  });
});

describe('a big import', () => {
  const bigText = () =>
    Array.from({ length: 15_000 }, (_, i) => `Paragraph ${i}: the ship left port on day ${i} with a full crew.`).join(
      '\n\n',
    );

  it('lets the event loop turn while it is read, so other requests are answered meanwhile', async () => {
    let turns = 0;
    let importing = true;
    const tick = () => {
      turns++;
      if (importing) setImmediate(tick);
    };
    setImmediate(tick);
    const profile = await call(env.studio, 'profiles/import', { characterId, text: bigText() });
    importing = false;
    expect(profile.chunks).toHaveLength(15_000);
    expect(turns).toBeGreaterThan(3);
  });

  it('fails cleanly when its character is deleted while the text is read', async () => {
    const pending = env.studio.invoke('profiles/import', { characterId, text: bigText() });
    setImmediate(() => void call(env.studio, 'characters/delete', { id: characterId }));
    const outcome = await pending;
    expect(outcome).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('writing a big import (issue 9, point 3)', () => {
  const bigFile = () =>
    base64(
      Array.from({ length: 12_000 }, (_, i) => `Day ${i}: ${'the ship sailed on with a full crew. '.repeat(3)}`).join(
        '\n\n',
      ),
    );
  const chunksInDb = () => env.studio.db.prepare('SELECT count(*) FROM chunks').pluck().get() as number;

  it('writes its chunks in short steps, other requests answered between them, and appears whole or not at all', async () => {
    const seen: { chunksWritten: number; profileChunks: number[] }[] = [];
    let importing = true;
    const look = async (): Promise<void> => {
      const profiles = await call(env.studio, 'profiles/list', { characterId });
      seen.push({ chunksWritten: chunksInDb(), profileChunks: profiles.map((p) => p.chunks.length) });
      if (importing) setImmediate(() => void look());
    };
    setImmediate(() => void look());
    const profile = await call(env.studio, 'profiles/import', {
      characterId,
      fileBase64: bigFile(),
      fileName: 'log.txt',
    });
    importing = false;
    expect(profile.chunks).toHaveLength(12_000);
    // Some turns came while part of the chunks was written and the profile not yet there…
    expect(seen.some((s) => s.chunksWritten > 0 && s.chunksWritten < 12_000 && s.profileChunks.length === 0)).toBe(
      true,
    );
    // …and no turn ever saw a profile with only some of its chunks.
    expect(seen.every((s) => s.profileChunks.every((n) => n === 12_000))).toBe(true);
    // What the import answered is what is stored.
    expect(await call(env.studio, 'profiles/list', { characterId })).toEqual([profile]);
  });

  it('leaves no chunk behind when its character is deleted while the chunks are being written', async () => {
    const pending = env.studio.invoke('profiles/import', { characterId, fileBase64: bigFile(), fileName: 'log.txt' });
    const deleteOnceWriting = (): void => {
      if (chunksInDb() > 0) void call(env.studio, 'characters/delete', { id: characterId });
      else setImmediate(deleteOnceWriting);
    };
    setImmediate(deleteOnceWriting);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(chunksInDb()).toBe(0);
  });

  it('clears chunks a crashed import left (older than an hour) and keeps those of an import under way', async () => {
    const repo = new ProfilesRepo(env.studio.db);
    const chunk = (id: string) => ({ id: id as ChunkId, text: 'Left behind.', words: 2 });
    repo.stageChunks('crashed' as ProfileId, [chunk('old-1'), chunk('old-2')], 0, Date.now() - 2 * 3_600_000);
    repo.stageChunks('running' as ProfileId, [chunk('young-1')], 0, Date.now());
    await call(env.studio, 'profiles/import', { characterId, text: 'First.\n\nSecond.' });
    const left = env.studio.db
      .prepare('SELECT id FROM chunks WHERE profile_id IN (?, ?)')
      .pluck()
      .all('crashed', 'running');
    expect(left).toEqual(['young-1']);
  });
});
