import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventName } from '../../../common/contract';
import { commandNames } from '../../../main/core/schemas';
import { Studio } from '../../../main/core/studio';
import { fixture } from '../../support/paths';
import { call, callError, makeStudio } from '../../support/studio';

const beethovenBase64 = fs.readFileSync(fixture('wiki_Beethoven.txt')).toString('base64');
const draft = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven', era: '1770–1827', notes: '' };

let env: ReturnType<typeof makeStudio>;
beforeEach(() => {
  env = makeStudio();
});
afterEach(() => env.cleanup());

describe('characters', () => {
  it('creates, renames and deletes, and keeps them across a restart', async () => {
    const created = await call(env.studio, 'characters/create', { ...draft, fullName: '  Ludwig   van Beethoven ' });
    expect(created.fullName).toBe('Ludwig van Beethoven');
    await call(env.studio, 'characters/create', { fullName: 'Ada Lovelace', shortName: 'Ada', era: '', notes: '' });
    const renamed = await call(env.studio, 'characters/update', {
      id: created.id,
      fullName: 'Ludwig Beethoven',
      notes: 'deaf',
    });
    expect(renamed).toMatchObject({ fullName: 'Ludwig Beethoven', shortName: 'Beethoven', notes: 'deaf' });

    env.studio.close();
    const reopened = new Studio({ dataDir: env.dir, door: 'cli', version: 'test' });
    const names = (await call(reopened, 'characters/list', {})).map((c) => c.fullName);
    expect(names).toEqual(['Ada Lovelace', 'Ludwig Beethoven']);
    await call(reopened, 'characters/delete', { id: created.id });
    expect((await call(reopened, 'characters/list', {})).map((c) => c.fullName)).toEqual(['Ada Lovelace']);
    reopened.close();
  });

  it('refuses a duplicate name, whatever its case, and keeps the first', async () => {
    await call(env.studio, 'characters/create', draft);
    const error = await callError(env.studio, 'characters/create', { ...draft, fullName: 'LUDWIG VAN BEETHOVEN' });
    expect(error).toEqual({ code: 'conflict', message: expect.stringMatching(/already exists/) });
    expect(await call(env.studio, 'characters/list', {})).toHaveLength(1);
  });

  it('refuses names that would break the scene format', async () => {
    expect((await callError(env.studio, 'characters/create', { ...draft, fullName: '   ' })).message).toMatch(
      /full name/,
    );
    expect((await callError(env.studio, 'characters/create', { ...draft, shortName: 'Bee (thoven)' })).message).toMatch(
      /parentheses/,
    );
  });

  it('reports a missing character as not found', async () => {
    const error = await callError(env.studio, 'characters/get', { id: 'nope' });
    expect(error.code).toBe('not_found');
  });
});

describe('profiles and chunks', () => {
  async function importBeethoven() {
    const character = await call(env.studio, 'characters/create', draft);
    const profile = await call(env.studio, 'profiles/import', {
      characterId: character.id,
      fileBase64: beethovenBase64,
      fileName: 'wiki_Beethoven.txt',
    });
    return { character, profile };
  }

  it('imports the paper’s profile file into 59 ordered chunks', async () => {
    const { character, profile } = await importBeethoven();
    expect(profile).toMatchObject({
      title: 'Ludwig van Beethoven',
      format: 'character-llm',
      sourceName: 'wiki_Beethoven.txt',
    });
    expect(profile.chunks).toHaveLength(59);
    expect(profile.chunks.map((c) => c.position)).toEqual([...Array(59).keys()]);
    expect(profile.words).toBeGreaterThan(8000);
    const listed = await call(env.studio, 'characters/get', { id: character.id });
    expect(listed).toMatchObject({ profileCount: 1, chunkCount: 59, wordCount: profile.words });
  });

  it('imports pasted text, and gives a second profile with the same title a distinct one', async () => {
    const { character } = await importBeethoven();
    const pasted = await call(env.studio, 'profiles/import', {
      characterId: character.id,
      text: '# Ludwig van Beethoven\n\nHe liked coffee.',
    });
    expect(pasted.title).toBe('Ludwig van Beethoven (2)');
    expect(pasted.chunks.map((c) => c.text)).toEqual(['He liked coffee.']);
  });

  it('splits, merges, edits and deletes chunks, keeping positions dense', async () => {
    const { profile } = await importBeethoven();
    const first = profile.chunks[0]!;
    const offset = first.text.indexOf('Beethoven remains');
    let after = await call(env.studio, 'chunks/split', { id: first.id, offset });
    expect(after.chunks).toHaveLength(60);
    expect(after.chunks[0]!.text.endsWith('pianist.')).toBe(true);
    expect(after.chunks[1]!.text.startsWith('Beethoven remains')).toBe(true);
    expect(after.chunks.map((c) => c.position)).toEqual([...Array(60).keys()]);

    after = await call(env.studio, 'chunks/merge', { id: after.chunks[0]!.id });
    expect(after.chunks).toHaveLength(59);
    expect(after.chunks[0]!.text).toBe(`${first.text.slice(0, offset).trimEnd()}\n\n${first.text.slice(offset)}`);

    after = await call(env.studio, 'chunks/update', { id: after.chunks[0]!.id, text: 'Short now.\r\n' });
    expect(after.chunks[0]).toMatchObject({ text: 'Short now.', words: 2 });

    after = await call(env.studio, 'chunks/delete', { id: after.chunks[3]!.id });
    expect(after.chunks).toHaveLength(58);
    expect(after.chunks.map((c) => c.position)).toEqual([...Array(58).keys()]);
  });

  it('refuses a split that leaves an empty half, a merge of the last chunk and an empty edit', async () => {
    const { profile } = await importBeethoven();
    const last = profile.chunks.at(-1)!;
    expect((await callError(env.studio, 'chunks/split', { id: last.id, offset: 0 })).message).toMatch(/both parts/);
    expect((await callError(env.studio, 'chunks/merge', { id: last.id })).message).toMatch(/last chunk/);
    expect((await callError(env.studio, 'chunks/update', { id: last.id, text: '  ' })).message).toMatch(
      /cannot be empty/,
    );
    const unchanged = await call(env.studio, 'profiles/list', { characterId: profile.characterId });
    expect(unchanged[0]!.chunks).toEqual(profile.chunks);
  });

  it('rejects bad files without saving anything', async () => {
    const character = await call(env.studio, 'characters/create', draft);
    const bad = [
      { fileBase64: '', fileName: 'empty.txt', pattern: /empty\.txt is empty/ },
      { fileBase64: Buffer.from('caf\xe9', 'latin1').toString('base64'), fileName: 'x.txt', pattern: /not UTF-8/ },
      { fileBase64: Buffer.from([0, 1, 2, 3]).toString('base64'), fileName: 'x.txt', pattern: /binary/ },
      {
        fileBase64: Buffer.from('hello').toString('base64'),
        fileName: 'book.pdf',
        pattern: /^book\.pdf is not a PDF file, whatever its name says/,
      },
      {
        fileBase64: Buffer.from('hello').toString('base64'),
        fileName: 'book.odt',
        pattern: /^book\.odt is not a file the studio reads: import a \.txt, \.md, \.docx, \.epub or \.pdf/,
      },
    ];
    for (const { pattern, ...file } of bad) {
      const error = await callError(env.studio, 'profiles/import', { characterId: character.id, ...file });
      expect(error.message).toMatch(pattern);
    }
    expect(await callError(env.studio, 'profiles/import', { characterId: character.id })).toMatchObject({
      code: 'invalid_argument',
    });
    expect(await call(env.studio, 'profiles/list', { characterId: character.id })).toEqual([]);
  });

  it('deleting a character removes its profiles and chunks', async () => {
    const { character } = await importBeethoven();
    await call(env.studio, 'characters/delete', { id: character.id });
    expect(env.studio.db.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(0);
    expect((await callError(env.studio, 'profiles/list', { characterId: character.id })).code).toBe('not_found');
  });

  it('announces changes as contract events', async () => {
    const seen: EventName[] = [];
    env.studio.events.subscribe((name) => seen.push(name));
    await importBeethoven();
    expect(seen).toContain('characters/changed');
    expect(seen).toContain('profiles/changed');
  });
});

describe('the contract at the boundary', () => {
  it('has a handler for every command and a schema for every handler', () => {
    expect(Object.keys(env.studio.handlers).sort()).toEqual([...commandNames].sort());
  });

  it('rejects unknown commands, unknown keys and wrong types with a reason', async () => {
    expect((await callError(env.studio, 'characters/explode', {})).code).toBe('unknown_command');
    expect((await callError(env.studio, '__proto__', {})).code).toBe('unknown_command');
    const extra = await callError(env.studio, 'characters/list', { admin: true });
    expect(extra).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/admin/) });
    const wrong = await callError(env.studio, 'chunks/split', { id: 'x', offset: -1 });
    expect(wrong.message).toMatch(/offset/);
    expect((await callError(env.studio, 'characters/create', null)).code).toBe('invalid_argument');
  });
});
