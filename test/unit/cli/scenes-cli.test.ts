import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SceneDoc } from '../../../common/contract';
import { Studio } from '../../../main/core/studio';
import { cliForEachTest, handSceneOfBeethoven, WALK_SCENE } from '../../support/cli';
import { generatedLessonWithExperience } from '../../support/scenes';
import { call } from '../../support/studio';

// The CLI face of scene editing: a scene written by hand from standard input, then shown, its
// history, a word diff between revisions and a restore, as a person and as JSON.

const { cli, dir } = cliForEachTest('cs-scenes-cli-');
const doc = WALK_SCENE;

describe('character-studio scenes', () => {
  it('creates a scene by hand, shows it, lists its history, diffs and restores revisions', async () => {
    const id = await handSceneOfBeethoven(cli);

    const shown = await cli(['scenes', 'show', id]);
    expect(shown.out).toContain('Revision 1 · written by hand');
    expect(shown.out).toContain('1. Ries (speaking): Do you hear the shepherd’s flute?');

    // A second revision, saved through the studio as the editor would, then compared and restored.
    const studio = new Studio({ dataDir: dir(), door: 'cli', version: 'test' });
    const saved = await studio.invoke('scenes/save', {
      id,
      baseRevision: 1,
      doc: {
        ...doc,
        turns: [
          { ...doc.turns[0]!, text: 'Do you hear the flute?' },
          { speaker: 'Beethoven', kind: 'speaking', text: 'I hear nothing.' },
        ],
      },
    });
    studio.close();
    expect(saved.ok).toBe(true);

    const history = await cli(['scenes', 'history', id]);
    expect(history.out.split('\n')).toHaveLength(2);
    expect(history.out).toMatch(/^1 .* edited by hand\n2 .* edited by hand$/);
    const diff = await cli(['scenes', 'diff', id, '--from', '1', '--to', 'current']);
    expect(diff.out).toContain('Revision 1 → 2');
    // An edited turn word by word; a turn added, one marked line.
    expect(diff.out).toContain(
      'Turns:\nRies (speaking): Do you hear the [-shepherd’s -]flute?\n{+Beethoven (speaking): I hear nothing.+}',
    );

    const restored = await cli(['scenes', 'restore', id, '--revision', '1']);
    expect(restored.out).toBe('Restored revision 1 as revision 3.');
    expect((await cli(['scenes', 'diff', id, '--from', '1'])).out).toContain('The two revisions are the same.');
    expect((await cli(['scenes', 'history', id])).out).toMatch(/3 .* edited by hand \(restores 1\)$/);
  });

  it('saves an edit of what show --json printed, and refuses it once the scene moved on, overwriting nothing', async () => {
    const id = await handSceneOfBeethoven(cli);
    const shown = JSON.parse((await cli(['scenes', 'show', id, '--json'])).out) as { doc: SceneDoc; revision: number };
    shown.doc.turns[0]!.text = 'Do you hear the flute, master?';
    const file = path.join(dir(), 'scene.json');
    fs.writeFileSync(file, JSON.stringify(shown));
    const saved = await cli(['scenes', 'edit', id.slice(0, 12), file]);
    expect(saved.code, saved.err).toBe(0);
    expect(saved.out).toBe(`Saved scene ${id} as revision 2.`);
    expect((await cli(['scenes', 'show', id])).out).toContain('1. Ries (speaking): Do you hear the flute, master?');

    // The same file again: it was shown at revision 1 and the scene is at 2 now.
    shown.doc.turns[0]!.text = 'A stale edit';
    fs.writeFileSync(file, JSON.stringify(shown));
    const stale = await cli(['scenes', 'edit', id, file]);
    expect(stale.code).toBe(1);
    expect(stale.err).toContain(
      `Scene ${id} changed since that file was shown (revision 1, now 2, saved by hand in another window or terminal at `,
    );
    expect(stale.err).toContain(
      'Nothing was saved. Choose with --on-conflict: mine (save yours over revision 2, which stays in the history), ' +
        'theirs (keep revision 2, save nothing) or new (save yours as a new scene). ' +
        `Or run character-studio scenes show ${id} --json again, make your change in what it prints, and save that.`,
    );
    expect((await cli(['scenes', 'show', id])).out).toContain('Do you hear the flute, master?');

    // A bare document (as for create) is saved on the current revision.
    const bare = await cli(['scenes', 'edit', id, '-'], JSON.stringify({ ...doc, location: 'Baden' }));
    expect(bare.out).toBe(`Saved scene ${id} as revision 3.`);
    expect((await cli(['scenes', 'history', id])).out.split('\n')).toHaveLength(3);

    const notJson = await cli(['scenes', 'edit', id, '-'], '{"type": ');
    expect(notJson.code).toBe(2);
    expect(notJson.err).toMatch(/- is not JSON .*or edit what scenes show <scene> --json prints/);
    const noFile = await cli(['scenes', 'edit', id]);
    expect(noFile.code).toBe(2);
    expect(noFile.err).toMatch(/<file\.json\|->/);
  });

  it('numbers a generated scene’s revisions as the History does: its first listed is 1, though stored as 2', async () => {
    // A generated scene's save counter also counts its experience arriving: stored revision 2.
    const studio = new Studio({ dataDir: dir(), door: 'cli', version: 'test' });
    const { id } = await generatedLessonWithExperience(studio);
    const opened = await call(studio, 'scenes/open', { id });
    expect(opened.revision).toBe(2);
    const shownBefore = (await cli(['scenes', 'show', id, '--json'])).out;
    await call(studio, 'scenes/save', {
      id,
      baseRevision: 2,
      doc: { ...opened.doc, location: 'Bonn, the organ loft' },
    });
    studio.close();

    expect((await cli(['scenes', 'show', id])).out).toMatch(/^Revision 2\n/);
    // An edit of what was shown before that save is refused in the numbers the CLI prints.
    const stale = await cli(['scenes', 'edit', id, '-'], shownBefore);
    expect(stale.code).toBe(1);
    expect(stale.err).toContain(`Scene ${id} changed since that file was shown (revision 1, now 2, saved by hand`);
    expect((await cli(['scenes', 'history', id])).out).toMatch(
      /^1 .* generated · prompt builtin@1\n2 .* edited by hand$/,
    );
    expect((await cli(['scenes', 'diff', id, '--from', '1', '--to', '2'])).out).toMatch(/^Revision 1 → 2\n/);
    const restored = await cli(['scenes', 'restore', id, '--revision', '1']);
    expect(restored.out).toBe('Restored revision 1 as revision 3.');
    expect((await cli(['scenes', 'history', id])).out).toMatch(/\n3 .* \(restores 1\)$/);
    expect((await cli(['scenes', 'show', id])).out).toMatch(/^Revision 3\nLesson · Bonn · 1783\n/);
    // In JSON the stored numbers stay, beside the numbers `--revision`, `--from` and `--to` take.
    const history = JSON.parse((await cli(['scenes', 'history', id, '--json'])).out) as {
      revision: number;
      number: number;
      restoresNumber: number | null;
    }[];
    expect(history.map((r) => [r.number, r.revision, r.restoresNumber])).toEqual([
      [1, 2, null],
      [2, 3, null],
      [3, 4, 1],
    ]);
    const current = JSON.parse((await cli(['scenes', 'show', id, '--json'])).out) as {
      revision: number;
      revisionNumber: number;
    };
    expect([current.revisionNumber, current.revision]).toEqual([3, 4]);
    const diffed = JSON.parse((await cli(['scenes', 'diff', id, '--from', '1', '--to', '3', '--json'])).out) as {
      from: number;
      fromNumber: number;
      toNumber: number;
    };
    expect([diffed.fromNumber, diffed.from, diffed.toNumber]).toEqual([1, 2, 3]);
    const again = JSON.parse((await cli(['scenes', 'restore', id, '--revision', '2', '--json'])).out) as {
      revision: number;
      revisionNumber: number;
    };
    expect([again.revisionNumber, again.revision]).toEqual([4, 5]);
    const beyond = await cli(['scenes', 'restore', id, '--revision', '5']);
    expect(beyond.code).toBe(2);
    expect(beyond.err).toContain(`--revision 5: scene ${id} has revisions 1 to 4 (see scenes history).`);
  });

  it('takes a scene by the start of its id, and says when the start is not enough', async () => {
    await cli(['characters', 'create', '--full-name', 'Clara Schumann', '--short-name', 'Clara']);
    const ids: string[] = [];
    for (const location of ['Leipzig', 'Düsseldorf', 'Frankfurt']) {
      const made = await cli(['scenes', 'create', 'Clara', '-', '--json'], JSON.stringify({ ...doc, location }));
      ids.push((JSON.parse(made.out) as { id: string }).id);
    }
    // The ids are time-ordered: scenes written together share their first characters.
    const common = ids.reduce((a, b) => {
      let n = 0;
      while (a[n] === b[n]) n++;
      return a.slice(0, n);
    });
    expect(common.length).toBeGreaterThan(0);
    const [first] = ids as [string];
    let n = common.length + 1;
    while (ids.filter((id) => id.startsWith(first.slice(0, n))).length > 1) n++;
    const unique = first.slice(0, n);

    const shown = await cli(['scenes', 'show', unique]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('Walk · Leipzig · 1802');
    expect((await cli(['scenes', 'history', unique, '--json'])).out).toContain(`"sceneId": "${first}"`);

    const ambiguous = await cli(['scenes', 'show', common]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.err).toContain(
      `"${common}" starts the ids of 3 scenes (${ids.sort().join(', ')}): type more of the id.`,
    );
    // A whole id is always that scene, and a flag mistyped is said before the id is looked up.
    expect((await cli(['scenes', 'show', first])).out).toContain('Leipzig');
    expect((await cli(['scenes', 'diff', 'no-such-scene', '--to', 'last'])).err).toMatch(
      /--to must be a revision number/,
    );
  });

  it('duplicates a scene as one by hand and deletes scenes, each named by the start of its id', async () => {
    const id = await handSceneOfBeethoven(cli);
    // An edit first: the copy takes the scene's current text.
    await cli(['scenes', 'edit', id, '-'], JSON.stringify({ ...doc, time: 'Autumn 1802' }));

    const copied = await cli(['scenes', 'duplicate', id.slice(0, -4)]);
    expect(copied.code).toBe(0);
    const copyId = /Wrote scene (\S+), a copy of /.exec(copied.out)?.[1];
    expect(copied.out).toBe(
      `Wrote scene ${copyId}, a copy of ${id} "Walk" (Heiligenstadt, Autumn 1802) by hand. Edit it: character-studio scenes show ${copyId} --json`,
    );
    const copy = JSON.parse((await cli(['scenes', 'show', copyId!, '--json'])).out) as {
      doc: SceneDoc;
      origin: string;
      revisionNumber: number;
    };
    expect(copy.doc).toEqual({ ...doc, time: 'Autumn 1802' });
    expect([copy.origin, copy.revisionNumber]).toEqual(['hand', 1]);
    expect(JSON.parse((await cli(['scenes', 'duplicate', id, '--json'])).out)).toMatchObject({ copiedFrom: id });

    const deleted = await cli(['scenes', 'delete', copyId!.slice(0, -4), '--yes']);
    expect([deleted.code, deleted.out]).toEqual([0, `Deleted scene ${copyId} "Walk" (Heiligenstadt, Autumn 1802).`]);
    expect((await cli(['scenes', 'show', copyId!])).err).toContain(`No scene has the id "${copyId}"`);
    expect((await cli(['scenes', 'show', id])).code).toBe(0);
    // Nothing is deleted when one of the scenes named is not there.
    const refused = await cli(['scenes', 'delete', id, 'no-such-scene', '--yes']);
    expect(refused.code).toBe(1);
    expect((await cli(['scenes', 'show', id])).code).toBe(0);
    expect((await cli(['scenes', 'delete'])).err).toContain('Missing <scene id…> for scenes delete.');
  });

  it('says what is wrong with bad arguments', async () => {
    expect((await cli(['scenes', 'diff', 'x', '--from', 'first'])).err).toMatch(
      /--from must be a revision number, "original" or "current", not "first"/,
    );
    expect((await cli(['scenes', 'restore', 'x'])).err).toMatch(/--revision <n>/);
    const missing = await cli(['scenes', 'show', 'no-such-scene']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(
      'No scene has the id "no-such-scene" or one starting with it. See the ids with: character-studio scenes list <character>',
    );
    await cli(['characters', 'create', '--full-name', 'Clara Schumann', '--short-name', 'Clara']);
    const notJson = await cli(['scenes', 'create', 'Clara', '-'], '{type: Walk');
    expect(notJson.code).toBe(2);
    expect(notJson.err).toMatch(/is not JSON .* write the scene as/);
  });

  it('lists scenes a keyset page at a time, with search, kind and order, and refuses bad options', async () => {
    await cli(['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven']);
    for (const [location, text] of [
      ['Heiligenstadt', 'Do you hear the shepherd’s flute?'],
      ['Bonn', 'Play the fugue again.'],
      ['Vienna', 'The shepherd has gone home.'],
    ] as const) {
      const scene = { ...doc, location, turns: [{ ...doc.turns[0]!, text }] };
      expect((await cli(['scenes', 'create', 'Beethoven', '-'], JSON.stringify(scene))).code).toBe(0);
    }
    const found = await cli(['scenes', 'list', 'Beethoven', '--search', 'shepherd', '--kind', 'hand']);
    expect(found.code).toBe(0);
    expect(found.out).toMatch(/Heiligenstadt.*\n.*«shepherd»/);
    expect(found.out).toMatch(/Vienna.*\n.*«shepherd» has gone home/);
    expect(found.out).not.toContain('Bonn');

    // One row a page: the cursor the first page prints brings the second, and no row twice.
    const first = JSON.parse(
      (await cli(['scenes', 'list', 'Beethoven', '--limit', '1', '--sort', 'newest', '--json'])).out,
    ) as {
      scenes: { location: string }[];
      next: string;
    };
    expect(first.scenes.map((s) => s.location)).toEqual(['Vienna']);
    const human = await cli(['scenes', 'list', 'Beethoven', '--limit', '1', '--sort', 'newest']);
    expect(human.out).toContain(`More: add --after ${first.next}`);
    const second = JSON.parse(
      (await cli(['scenes', 'list', 'Beethoven', '--limit', '1', '--sort', 'newest', '--after', first.next, '--json']))
        .out,
    ) as { scenes: { location: string }[] };
    expect(second.scenes.map((s) => s.location)).toEqual(['Bonn']);

    const badSort = await cli(['scenes', 'list', 'Beethoven', '--sort', 'longest']);
    expect(badSort.code).toBe(2);
    expect(badSort.err).toMatch(/Unknown --sort "longest": use newest, oldest, turns, words, rating, chunk/);
    expect((await cli(['scenes', 'list', 'Beethoven', '--limit', '0'])).err).toMatch(/--limit takes a whole number/);
    expect((await cli(['scenes', 'list', 'Beethoven', '--kind', 'chat'])).err).toMatch(/Unknown --kind "chat"/);
    const wrongCursor = await cli(['scenes', 'list', 'Beethoven', '--sort', 'turns', '--after', first.next]);
    expect(wrongCursor.err).toMatch(/belongs to the "newest" order/);
  });
});
