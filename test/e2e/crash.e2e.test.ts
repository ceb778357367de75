import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { fixture, tempDir } from '../support/paths';
import { beethovenWithCli, builtCli } from '../support/cli-dataset';
import { spawnBuiltCli } from '../support/serve';
import { seededRandom } from '../../main/core/pipeline/planner';
import { studioResponder } from '../support/studio-responder';
import { recountedRow } from '../support/job-recount';
import type { JobId } from '../../common/contract';
import { itemCountsOf, scopeOf } from '../../main/store/job-figures';
import type { JobRow } from '../../main/store/jobs-repo';

const TARGET = Number(process.env.CRASH_TARGET ?? 40);
/** Kills to survive at least; CI keeps it small, a run by hand may ask for more (CRASH_KILLS=50). */
const MIN_KILLS = Number(process.env.CRASH_KILLS ?? 5);
let server: FakeLlmServer;
let data: { dir: string; cleanup: () => void };
const cli = (...args: string[]) => builtCli(data.dir)(...args);

/** Starts `generate <character>` to `target` scenes, four a call, with `protective` share, stderr piped (stdout drained). */
function startGenerate(character: string, target: number, protective: string) {
  const args = ['generate', character, '--provider', 'Fake', '--target', String(target), '--per-call', '4'];
  const child = spawnBuiltCli(data.dir, [...args, '--protective', protective]);
  child.stdout.resume();
  return child;
}

/** Runs `generate` and SIGKILLs it after `ms`; resolves when it is dead (or finished first). */
function generateKilledAfter(ms: number): Promise<{ finished: boolean }> {
  return new Promise((resolve) => {
    const child = startGenerate('Beethoven', TARGET, '0.1');
    child.stderr.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ finished: code === 0 });
    });
  });
}

beforeAll(async () => {
  data = tempDir('cs-crash-');
  server = await startFakeLlmServer({ responder: studioResponder(), latencyMs: 200, chunkDelayMs: 2 });
  await beethovenWithCli(cli, server.baseURL, { era: '1770–1827', providerArgs: ['--concurrency', '6'] });
});
afterAll(async () => {
  await server?.close();
  data?.cleanup();
});

describe('crash safety of generation', () => {
  it('killed with SIGKILL at random points, it resumes to exactly the target with no duplicates and no half-written rows', async () => {
    const random = seededRandom(Number(process.env.CRASH_SEED ?? 1234));
    let kills = 0;
    let finished = false;
    for (let run = 0; run < MIN_KILLS * 4 + 30 && !finished; run++) {
      // Early runs die young (often mid-write, mid-call); once enough kills are in, runs live
      // longer so the job can end.
      const grace = Math.max(0, kills - MIN_KILLS + 1);
      const ms = 250 + Math.floor(random() * (400 + grace * 300));
      ({ finished } = await generateKilledAfter(ms));
      if (!finished) kills++;
    }
    expect(finished).toBe(true);
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
    console.info(`crash test: ${kills} SIGKILLs survived (target ${TARGET})`);

    // Running it again with the same target does nothing: the target is the character's total.
    const again = await cli('generate', 'Beethoven', '--provider', 'Fake', '--target', String(TARGET));
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/Nothing to do/);

    const db = new Database(path.join(data.dir, 'studio.sqlite'), { readonly: true });
    const job = db.prepare('SELECT status, message FROM jobs').all() as { status: string; message: string | null }[];
    expect(job).toEqual([{ status: 'succeeded', message: null }]);
    const normal = db.prepare('SELECT id, background FROM scenes WHERE protective = 0').all() as {
      id: string;
      background: string;
    }[];
    expect(normal).toHaveLength(TARGET);
    expect(new Set(normal.map((s) => s.background)).size).toBe(TARGET);
    const protective = db.prepare('SELECT count(*) FROM scenes WHERE protective = 1').pluck().get();
    expect(protective).toBe(Math.round((TARGET * 0.1) / 0.9));
    // Every scene has exactly one complete experience, and every done item left its output.
    const orphans = db
      .prepare('SELECT count(*) FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id WHERE e.scene_id IS NULL')
      .pluck()
      .get();
    expect(orphans).toBe(0);
    for (const turns of db.prepare('SELECT turns FROM experiences').pluck().all() as string[]) {
      const parsed = JSON.parse(turns) as { speaker: string; text: string }[];
      expect(parsed.length).toBeGreaterThanOrEqual(2);
    }
    const doneScenesItems = db
      .prepare("SELECT id FROM job_items WHERE stage = 'scenes' AND status = 'done'")
      .pluck()
      .all() as string[];
    const sceneItems = new Set(
      db.prepare('SELECT DISTINCT item_id FROM scenes WHERE protective = 0').pluck().all() as string[],
    );
    for (const item of sceneItems) expect(doneScenesItems).toContain(item);
    const pendingLeft = db.prepare("SELECT count(*) FROM job_items WHERE status != 'done'").pluck().get();
    expect(pendingLeft).toBe(0);

    // Every call that reached the provider is on record: each request the server received matches
    // a distinct attempt row with the same messages. A kill mid-call leaves an `interrupted` row
    // (cost unknown), none stays in flight.
    const rows = db.prepare('SELECT messages, status FROM llm_calls').all() as { messages: string; status: string }[];
    const recorded = new Map<string, number>();
    for (const row of rows) recorded.set(row.messages, (recorded.get(row.messages) ?? 0) + 1);
    let received = 0;
    for (const request of server.requests) {
      if (!request.chat) continue;
      received++;
      const key = JSON.stringify(request.chat.messages);
      const left = recorded.get(key) ?? 0;
      expect(left, 'a request the server received has no call record').toBeGreaterThan(0);
      recorded.set(key, left - 1);
    }
    expect(rows.length).toBeGreaterThanOrEqual(received);
    expect(rows.filter((r) => r.status === 'in_flight')).toHaveLength(0);
    const interrupted = rows.filter((r) => r.status === 'interrupted').length;
    console.info(`crash test: ${received} requests received, ${rows.length} on record, ${interrupted} interrupted`);
    db.close();
    fs.rmSync(path.join(data.dir, 'studio.sqlite-shm'), { force: true });
  }, 300_000);

  it('killed right after it told its progress, the items it counted are on disk (writes are committed in groups)', async () => {
    const created = await cli(
      'characters',
      'create',
      '--full-name',
      'Wolfgang Amadeus Mozart',
      '--short-name',
      'Mozart',
    );
    expect(created.code, created.err).toBe(0);
    expect((await cli('profiles', 'import', 'Mozart', fixture('wiki_Beethoven.txt'))).code).toBe(0);
    const child = startGenerate('Mozart', 16, '0');
    // The first progress line with experiences done, then SIGKILL at once: nothing after it is written.
    const told = await new Promise<number>((resolve, reject) => {
      let text = '';
      child.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const done = [...text.matchAll(/experiences (\d+)\//g)].map((m) => Number(m[1])).find((n) => n >= 2);
        if (done !== undefined) {
          child.kill('SIGKILL');
          resolve(done);
        }
      });
      child.on('exit', () => reject(new Error(`generate ended before telling its progress:\n${text}`)));
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const db = new Database(path.join(data.dir, 'studio.sqlite'), { readonly: true });
    const written = db
      .prepare(
        `SELECT count(*) FROM experiences e JOIN scenes s ON s.id = e.scene_id JOIN characters c ON c.id = s.character_id
         WHERE c.short_name = 'Mozart'`,
      )
      .pluck()
      .get() as number;
    // The killed job's row holds the figures of what was committed, exactly as a recount gives them.
    const jobId = db
      .prepare(`SELECT j.id FROM jobs j JOIN characters c ON c.id = j.character_id WHERE c.short_name = 'Mozart'`)
      .pluck()
      .get() as JobId;
    const row = db.prepare('SELECT * FROM jobs WHERE id = ?').get(jobId) as JobRow;
    const recounted = recountedRow(db, jobId);
    db.close();
    expect(written).toBeGreaterThanOrEqual(told);
    expect(itemCountsOf(row)).toEqual(itemCountsOf(recounted));
    expect(scopeOf(row)).toEqual(scopeOf(recounted));
    expect(scopeOf(row).experiences).toBe(written);
  }, 120_000);
});
