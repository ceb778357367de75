import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliIn } from '../../support/cli';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { generateWithCli } from '../../support/cli-dataset';
import { tempDir } from '../../support/paths';
import { studioResponder } from '../../support/studio-responder';

let tmp: ReturnType<typeof tempDir>;
let server: FakeLlmServer;

const cli = (...args: string[]) => runCliIn(tmp.dir, args);

function query<T>(sql: string): T[] {
  const db = new Database(path.join(tmp.dir, 'studio.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  tmp = tempDir('cs-cli-review-');
  server = await startFakeLlmServer({ responder: studioResponder() });
  await generateWithCli(cli, server.baseURL, { target: 6, perCall: 3 });
}, 60_000);
afterAll(async () => {
  await server?.close();
  tmp?.cleanup();
});

describe('character-studio review and dataset complete|delete', () => {
  it('reviews by ids and by filter, undoes, and counts', async () => {
    const ids = query<{ id: string }>('SELECT id FROM scenes ORDER BY created_at, rowid').map((r) => r.id);
    const rejected = await cli('review', 'Beethoven', '--reject', '--tag', 'dull', '--ids', ids.slice(0, 2).join(','));
    expect(rejected.code, rejected.err).toBe(0);
    expect(rejected.out).toBe(
      'Rejected, tagged "dull" · 2 scenes. Undo with: character-studio review Beethoven --undo',
    );
    expect((await cli('review', 'Beethoven', '--accept', '--rate', '5', '--status', 'unreviewed')).out).toMatch(
      /^Accepted, rated 5 · 4 scenes\./,
    );
    const counts = await cli('review', 'Beethoven');
    expect(counts.out).toContain('6 scenes: unreviewed 0, accepted 4, rejected 2.');
    expect(counts.out).toContain('Tags: dull 2.');
    expect((await cli('review', 'Beethoven', '--undo')).out).toBe('Undone: Accepted, rated 5 · 4 scenes.');
    expect(query<{ n: number }>("SELECT count(*) AS n FROM scenes WHERE review_status = 'unreviewed'")[0]!.n).toBe(4);

    // Bad usage says what to do and changes nothing.
    const none = await cli('review', 'Beethoven', '--accept');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/Say which scenes: --ids a,b, filter options/);
    const badRate = await cli('review', 'Beethoven', '--rate', '9', '--all');
    expect(badRate.code).toBe(2);
    expect(badRate.err).toMatch(/--rate takes a whole number from 1 to 5, or none/);
    expect(query<{ n: number }>("SELECT count(*) AS n FROM scenes WHERE review_status = 'unreviewed'")[0]!.n).toBe(4);
  });

  it('completes the scenes waiting for their experience and deletes scenes', async () => {
    const [kept, gone] = query<{ id: string }>(
      "SELECT id FROM scenes WHERE review_status = 'unreviewed' ORDER BY created_at, rowid",
    ).map((r) => r.id);
    const db = new Database(path.join(tmp.dir, 'studio.sqlite'));
    db.prepare('DELETE FROM experiences WHERE scene_id IN (?, ?)').run(kept, gone);
    db.close();
    expect((await cli('review', 'Beethoven')).out).toContain('2 waiting for their experience');
    const unasked = await cli('dataset', 'delete', 'Beethoven', '--ids', gone!);
    expect(unasked.code).toBe(2);
    expect(unasked.err).toContain(`This deletes Ludwig van Beethoven's 1 scene (${gone} "`);
    expect((await cli('dataset', 'delete', 'Beethoven', '--ids', gone!, '--yes')).out).toBe('Deleted 1 scene.');
    const completed = await cli('dataset', 'complete', 'Beethoven', '--provider', 'Fake');
    expect(completed.code, completed.err).toBe(0);
    expect(query<{ n: number }>('SELECT count(*) AS n FROM scenes WHERE has_experience = 0')[0]!.n).toBe(0);
    expect(query<{ n: number }>('SELECT count(*) AS n FROM scenes')[0]!.n).toBe(5);
    const again = await cli('dataset', 'complete', 'Beethoven', '--provider', 'Fake');
    expect(again.code).toBe(1);
    expect(again.err).toBe('Error: No scene of Beethoven is waiting for its experience.');
  });
});
