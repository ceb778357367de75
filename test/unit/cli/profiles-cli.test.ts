import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../../common/contract';
import { runCliIn } from '../../support/cli';
import { tempDir } from '../../support/paths';

// The Profile tab's edits at the command line: chunks named by the numbers `profiles show` prints.

let tmp: ReturnType<typeof tempDir>;
const cli = (args: string[], stdin = '') => runCliIn(tmp.dir, args, stdin);
const profiles = async () => JSON.parse((await cli(['profiles', 'show', 'Ada', '--json'])).out) as Profile[];
const texts = async (profile = 0) => (await profiles())[profile]!.chunks.map((c) => c.text);

const LIFE = [
  'Ada was born in London in 1815, the only child of the poet and his wife.',
  'She studied mathematics with tutors. Later she met Charles Babbage at a party.',
  'She wrote notes on the Analytical Engine.',
].join('\n\n');

beforeAll(async () => {
  tmp = tempDir('cs-cli-profiles-');
  await cli(['characters', 'create', '--full-name', 'Ada Lovelace', '--short-name', 'Ada']);
  expect((await cli(['profiles', 'import', 'Ada', '-', '--title', 'Life'], LIFE)).code).toBe(0);
});
afterAll(() => tmp.cleanup());

describe('character-studio profiles: editing chunks', () => {
  it('shows, rewrites, splits, merges and deletes chunks, and refuses what it cannot find', async () => {
    expect(await texts()).toHaveLength(3);
    const shown = await cli(['profiles', 'chunk', 'Ada', '2']);
    expect(shown.out).toMatch(/^2 of "Life" \(13 words\) {2}\[[0-9a-f-]{36}\]\n\nShe studied mathematics/);

    const split = await cli(['profiles', 'split', 'Ada', '2', '--at', 'Later she met']);
    expect(split.code, split.err).toBe(0);
    expect(split.out).toBe('Split chunk 2 in two: "Life" now has 4 chunks, 36 words.');
    expect((await texts()).slice(1, 3)).toEqual([
      'She studied mathematics with tutors.',
      'Later she met Charles Babbage at a party.',
    ]);
    for (const [at, message] of [
      ['She studied', /The chunk starts with "She studied": give words further in/],
      ['Lovelace', /"Lovelace" is not in that chunk/],
    ] as const) {
      const refused = await cli(['profiles', 'split', 'Ada', '2', '--at', at]);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(message);
    }

    expect((await cli(['profiles', 'merge', 'Ada', '2'])).code).toBe(0);
    expect(await texts()).toHaveLength(3);
    const edited = await cli(['profiles', 'edit', 'Ada', '3', '-'], 'She wrote the first published program.');
    expect(edited.out).toMatch(/^Rewrote chunk 3: "Life" now has 3 chunks/);
    expect((await texts())[2]).toBe('She wrote the first published program.');
    const empty = await cli(['profiles', 'edit', 'Ada', '3', '-'], '  \n');
    expect(empty.code).toBe(2);
    expect((await texts())[2]).toBe('She wrote the first published program.');

    expect((await cli(['profiles', 'delete-chunk', 'Ada', '3'])).err).toMatch(
      /This deletes chunk 3 \(\d+ words?: ".+"\).*Add --yes/,
    );
    expect((await cli(['profiles', 'delete-chunk', 'Ada', '3', '--yes'])).code).toBe(0);
    expect(await texts()).toHaveLength(2);
    const missing = await cli(['profiles', 'chunk', 'Ada', '7']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/Ada has no chunk 7: see the numbers with character-studio profiles show Ada/);
  });

  it('names chunks <profile>.<chunk> once there are several profiles, renames and deletes a profile', async () => {
    await cli(['profiles', 'import', 'Ada', '-', '--title', 'Notes'], 'A note on Bernoulli numbers.');
    const shown = await cli(['profiles', 'show', 'Ada']);
    expect(shown.out).toMatch(/^1\. Life \(text, 2 chunks.*\n +1\.1\. Ada was born/);
    expect(shown.out).toMatch(/\n2\. Notes \(text, 1 chunk, 5 words\)\n +2\.1\. A note on Bernoulli numbers\./);
    const bare = await cli(['profiles', 'chunk', 'Ada', '1']);
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/Name the chunk as profiles show numbers it: <profile>\.<chunk>, e\.g\. 2\.5\./);
    expect((await cli(['profiles', 'chunk', 'Ada', '2.1'])).out).toContain('A note on Bernoulli numbers.');

    expect((await cli(['profiles', 'rename', 'Ada', 'notes', '--title', 'Letters'])).out).toBe(
      'Renamed "Notes" to "Letters".',
    );
    const unknown = await cli(['profiles', 'delete', 'Ada', 'Diaries']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/No profile "Diaries" of Ada: give its number \(1 to 2\) or its title/);
    expect((await cli(['profiles', 'delete', 'Ada', '2', '--yes'])).out).toMatch(
      /^Deleted the profile "Letters" \(1 chunk\)/,
    );
    expect((await profiles()).map((p) => p.title)).toEqual(['Life']);
  });
});
