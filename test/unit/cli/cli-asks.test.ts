import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SceneDoc } from '../../../common/contract';
import { Studio } from '../../../main/core/studio';
import { cliForEachTest, handSceneOfBeethoven, WALK_SCENE } from '../../support/cli';
import { call } from '../../support/studio';

// What the CLI asks at a terminal, and refuses without one: a delete says what it deletes and goes
// ahead only on yes (--yes in a script); `scenes edit` on a conflict shows their changes and offers
// keep mine, take theirs or save as new (--on-conflict in a script).

const { cli, atTerminal, dir } = cliForEachTest('cs-cli-asks-');
const doc = WALK_SCENE;
const sceneOfBeethoven = (scene: SceneDoc = doc) => handSceneOfBeethoven(cli, scene);

const exists = async (id: string) => (await cli(['scenes', 'show', id])).code === 0;

describe('a delete asks first', () => {
  it('scenes delete names what it deletes, defaults to No, and needs --yes without a terminal', async () => {
    const id = await sceneOfBeethoven();
    const other = (
      JSON.parse(
        (await cli(['scenes', 'create', 'Beethoven', '-', '--json'], JSON.stringify({ ...doc, location: 'Baden' })))
          .out,
      ) as { id: string }
    ).id;

    const script = await cli(['scenes', 'delete', id, other]);
    expect(script.code).toBe(2);
    expect(script.err).toContain(
      `This deletes 2 scenes (${id} "Walk" (Heiligenstadt, 1802), ${other} "Walk" (Baden, 1802)) with their experiences and history, and there is no terminal to ask on: nothing was deleted. Add --yes to delete without asking.`,
    );

    const enter = await atTerminal(['scenes', 'delete', id, other], '');
    expect(enter.asked).toEqual([
      `Delete 2 scenes (${id} "Walk" (Heiligenstadt, 1802), ${other} "Walk" (Baden, 1802)) with their experiences and history? This cannot be undone. [y/N] `,
    ]);
    expect([enter.code, enter.err, enter.out]).toEqual([1, 'Nothing was deleted.', '']);
    expect(await exists(id)).toBe(true);
    expect((await atTerminal(['scenes', 'delete', id], 'nope')).code).toBe(1);
    expect(await exists(id)).toBe(true);

    const yes = await atTerminal(['scenes', 'delete', id], 'y');
    expect([yes.code, yes.out]).toEqual([0, `Deleted scene ${id} "Walk" (Heiligenstadt, 1802).`]);
    expect(await exists(id)).toBe(false);
    // --yes asks nothing, at a terminal too.
    const flagged = await atTerminal(['scenes', 'delete', other, '--yes']);
    expect([flagged.code, flagged.asked]).toEqual([0, []]);
    expect(await exists(other)).toBe(false);
  });

  it('dataset delete names the character and its scenes, and refuses another character’s scene', async () => {
    const id = await sceneOfBeethoven();
    const no = await atTerminal(['dataset', 'delete', 'Beethoven', '--ids', id], 'N');
    expect(no.asked).toEqual([
      `Delete Ludwig van Beethoven's 1 scene (${id} "Walk" (Heiligenstadt, 1802)) with its experience and history? This cannot be undone. [y/N] `,
    ]);
    expect(no.code).toBe(1);
    expect(await exists(id)).toBe(true);

    await cli(['characters', 'create', '--full-name', 'Ada Lovelace', '--short-name', 'Ada']);
    const wrong = await cli(['dataset', 'delete', 'Ada', '--ids', id, '--yes']);
    expect([wrong.code, wrong.err]).toEqual([1, `Error: Scene ${id} is not Ada Lovelace's: nothing was deleted.`]);
    expect(await exists(id)).toBe(true);

    const yes = await atTerminal(['dataset', 'delete', 'Beethoven', '--ids', id], 'yes');
    expect([yes.code, yes.out]).toEqual([0, 'Deleted 1 scene.']);
    expect(await exists(id)).toBe(false);
  });

  it('characters delete asks at a terminal too', async () => {
    await sceneOfBeethoven();
    const no = await atTerminal(['characters', 'delete', 'Beethoven'], '');
    expect(no.asked[0]).toMatch(
      /^Delete Ludwig van Beethoven and everything made from it \(0 profiles, 1 scene\)\? This cannot be undone\. \[y\/N\] $/,
    );
    expect(no.code).toBe(1);
    expect((await atTerminal(['characters', 'delete', 'Beethoven'], 'y')).out).toBe('Deleted Ludwig van Beethoven.');
  });
});

describe('scenes edit when the scene changed meanwhile', () => {
  /** A file of the scene as `scenes show --json` printed it, edited, and their save after it was shown. */
  async function conflicted(): Promise<{ id: string; file: string }> {
    const id = await sceneOfBeethoven();
    const shown = JSON.parse((await cli(['scenes', 'show', id, '--json'])).out) as { doc: SceneDoc };
    shown.doc.turns[0]!.text = 'Mine: do you hear it?';
    const file = path.join(dir(), 'scene.json');
    fs.writeFileSync(file, JSON.stringify(shown));
    const studio = new Studio({ dataDir: dir(), door: 'cli', version: 'test' });
    await call(studio, 'scenes/save', { id: id as never, baseRevision: 1, doc: { ...doc, location: 'Theirs: Baden' } });
    studio.close();
    return { id, file };
  }
  const current = async (id: string) =>
    (JSON.parse((await cli(['scenes', 'show', id, '--json'])).out) as { doc: SceneDoc }).doc;

  it('without a terminal or --on-conflict, shows their changes and saves nothing, naming the flag', async () => {
    const { id, file } = await conflicted();
    const refused = await cli(['scenes', 'edit', id, file]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('Their changes (revision 1 → 2):\nLocation:\n[-Heiligenstadt-]{+Theirs: Baden+}');
    expect(refused.err).toContain('Choose with --on-conflict: mine (save yours over revision 2');
    expect((await current(id)).location).toBe('Theirs: Baden');
    expect((await cli(['scenes', 'edit', id, file, '--on-conflict', 'both'])).err).toMatch(
      /--on-conflict takes mine .*, theirs .* or new .*, not "both"/,
    );
  });

  it('keeps mine over theirs, which stays in the history', async () => {
    const { id, file } = await conflicted();
    const mine = await cli(['scenes', 'edit', id, file, '--on-conflict', 'mine']);
    expect([mine.code, mine.out]).toEqual([
      0,
      `Saved scene ${id} as revision 3, yours over theirs (revision 2 stays in scenes history).`,
    ]);
    const saved = await current(id);
    expect([saved.location, saved.turns[0]!.text]).toEqual(['Heiligenstadt', 'Mine: do you hear it?']);
    expect((await cli(['scenes', 'diff', id, '--from', '2', '--to', '1'])).code).toBe(0);
    expect((await cli(['scenes', 'history', id])).out.split('\n')).toHaveLength(3);
  });

  it('at a terminal: takes theirs, saves as new, or leaves it on Enter', async () => {
    const { id, file } = await conflicted();
    const left = await atTerminal(['scenes', 'edit', id, file], '');
    expect(left.asked).toEqual([
      'Keep mine (m: saved over revision 2, which stays in the history), take theirs (t), save mine as a new scene (n), or leave it (Enter)? ',
    ]);
    expect(left.err).toContain('Their changes (revision 1 → 2)');
    expect([left.code, left.err.split('\n').at(-1)]).toEqual([1, 'Nothing was saved; the scene keeps their revision.']);

    const theirs = await atTerminal(['scenes', 'edit', id, file], 't');
    expect([theirs.code, theirs.out]).toEqual([
      0,
      'Kept their revision 2; yours was not saved (it is still in your file).',
    ]);
    expect((await current(id)).location).toBe('Theirs: Baden');

    const asNew = await atTerminal(['scenes', 'edit', id, file, '--json'], 'n');
    expect(asNew.code, asNew.err).toBe(0);
    const copy = JSON.parse(asNew.out) as { id: string; copiedFrom: string };
    expect(copy.copiedFrom).toBe(id);
    expect((await current(copy.id)).turns[0]!.text).toBe('Mine: do you hear it?');
    expect((await current(copy.id)).location).toBe('Heiligenstadt');
    expect((await current(id)).location).toBe('Theirs: Baden');
  });
});
