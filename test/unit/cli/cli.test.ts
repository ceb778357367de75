import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliIn } from '../../support/cli';
import { fixture, tempDir } from '../../support/paths';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('cs-cli-');
});
afterEach(() => tmp.cleanup());

const cli = (args: string[], stdin = ''): ReturnType<typeof runCliIn> => runCliIn(tmp.dir, args, stdin);

describe('character-studio CLI', () => {
  it('creates a character, imports a profile from a file and from stdin, and shows it', async () => {
    const created = await cli([
      'characters',
      'create',
      '--full-name',
      'Ludwig van Beethoven',
      '--short-name',
      'Beethoven',
      '--era',
      '1770–1827',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const character = JSON.parse(created.out) as { id: string; fullName: string };
    expect(character.fullName).toBe('Ludwig van Beethoven');

    const imported = await cli(['profiles', 'import', 'Beethoven', fixture('wiki_Beethoven.txt')]);
    expect(imported).toMatchObject({
      code: 0,
      out: expect.stringMatching(/Imported "Ludwig van Beethoven" \(character-llm\): 59 chunks/),
    });
    const piped = await cli(
      ['profiles', 'import', character.id, '-', '--title', 'Letters'],
      'Dear brother.\n\nI am going deaf.',
    );
    expect(piped.out).toMatch(/Imported "Letters" \(text\): 2 chunks/);

    const shown = await cli(['profiles', 'show', 'ludwig van beethoven', '--json']);
    const profiles = JSON.parse(shown.out) as { title: string; chunks: unknown[] }[];
    expect(profiles.map((p) => [p.title, p.chunks.length])).toEqual([
      ['Ludwig van Beethoven', 59],
      ['Letters', 2],
    ]);
    const list = await cli(['characters', 'list']);
    expect(list.out).toMatch(/Ludwig van Beethoven \(Beethoven, 1770–1827\) — 2 profiles, 61 chunks/);

    // The short name is the full name's last word unless given, as the app's form suggests it.
    expect((await cli(['characters', 'create', '--full-name', 'Mary Anning'])).out).toMatch(
      /^Created Mary Anning \(Anning\)/,
    );
    // The name as people first type it: the command's argument, quoted or not.
    expect((await cli(['characters', 'create', 'Clara Schumann'])).out).toMatch(/^Created Clara Schumann \(Schumann\)/);
    expect((await cli(['characters', 'create', 'Fanny', 'Mendelssohn', '--short-name', 'Fanny'])).out).toMatch(
      /^Created Fanny Mendelssohn \(Fanny\)/,
    );
    const twice = await cli(['characters', 'create', 'Ada', '--full-name', 'Ada Lovelace']);
    expect(twice).toMatchObject({ code: 2, err: expect.stringMatching(/Give the name once/) });
    const nameless = await cli(['characters', 'create', '--short-name', 'Ada']);
    expect(nameless.code).toBe(2);
    expect(nameless.err).toMatch(/characters create needs the person's full name: characters create "<full name>"/);
  });

  it('renames and deletes by name', async () => {
    await cli(['characters', 'create', '--full-name', 'Ada Lovelace', '--short-name', 'Ada']);
    expect((await cli(['characters', 'update', 'Ada', '--full-name', 'Augusta Ada King'])).code).toBe(0);
    // Without a terminal to ask on, a delete needs --yes: refused, nothing deleted.
    const unasked = await cli(['characters', 'delete', 'Augusta Ada King']);
    expect(unasked.code).toBe(2);
    expect(unasked.err).toMatch(
      /This deletes Augusta Ada King and everything made from it \(\d+ profiles?, \d+ scenes?\), and there is no terminal to ask on: nothing was deleted\. Add --yes to delete without asking\./,
    );
    expect((await cli(['characters', 'delete', 'Augusta Ada King', '--yes'])).out).toBe('Deleted Augusta Ada King.');
    expect((await cli(['characters', 'list'])).out).toBe('No characters yet.');
  });

  it('fails with a clear message and exit code 1 on bad input, 2 on bad usage', async () => {
    await cli(['characters', 'create', '--full-name', 'Ada Lovelace', '--short-name', 'Ada']);
    const duplicate = await cli(['characters', 'create', '--full-name', 'ada lovelace', '--short-name', 'Ada']);
    expect(duplicate).toMatchObject({ code: 1, err: expect.stringMatching(/already exists/) });
    const missing = await cli(['profiles', 'import', 'Ada', path.join(tmp.dir, 'nope.txt')]);
    expect(missing).toMatchObject({ code: 1, err: expect.stringMatching(/nope\.txt does not exist/) });
    const binary = path.join(tmp.dir, 'x.txt');
    fs.writeFileSync(binary, Buffer.from([0, 159, 146, 150]));
    expect((await cli(['profiles', 'import', 'Ada', binary])).err).toMatch(/binary/);
    expect((await cli(['profiles', 'show', 'Nobody'])).err).toMatch(/No character "Nobody"/);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['characters', 'list', '--bogus'])).code).toBe(2);
    expect((await cli(['profiles', 'import'])).err).toMatch(/Missing <character>/);
  });

  it('checks the trainer environment, and asks for a base model before training', async () => {
    const bad = await cli(['doctor', '--python', path.join(tmp.dir, 'no-python')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/✗ .*no-python: .*(not found|setup-python)/is);
    await cli(['characters', 'create', '--full-name', 'Ada Lovelace', '--short-name', 'Ada']);
    const train = await cli(['train', 'Ada']);
    expect(train).toMatchObject({ code: 2, err: expect.stringMatching(/Missing --base-model/) });
    const serve = await cli(['chat-server', 'Ada']);
    expect(serve).toMatchObject({
      code: 1,
      err: expect.stringMatching(/no finished training run yet; train one first/),
    });
  });

  it('explains a damaged database instead of crashing, and leaves it alone', async () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    fs.writeFileSync(file, 'not a database at all, sorry'.repeat(50));
    const result = await cli(['characters', 'list']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/cannot be read.*left untouched/s);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^not a database/);
  });

  it('explains a data folder that cannot be created', async () => {
    const blocker = path.join(tmp.dir, 'file');
    fs.writeFileSync(blocker, 'x');
    const { code, err } = await runCliIn(path.join(blocker, 'sub'), ['characters', 'list']);
    expect(code).toBe(1);
    expect(err).toMatch(/cannot be created or written .*--data-dir/);
  });
});
