import { describe, expect, it } from 'vitest';
import type { JobId, SceneId } from '../../../common/contract';
import { encodeSignature, sceneSignature, signatureTag } from '../../../main/core/pipeline/parse-dedupe';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { beethovenWithJob, insertLesson } from '../../support/scenes';
import { studioForEachTest, type makeStudio } from '../../support/studio';

/**
 * What a generation job reads of the scenes already there when it starts: the scenes whose
 * experience is missing and the stored duplicate signatures. Neither walks the whole dataset for
 * a few rows, nor reads text it does not need.
 */

let env: ReturnType<typeof makeStudio>;
studioForEachTest((opened) => (env = opened));

function plan(sql: string, ...params: unknown[]): string {
  const rows = env.studio.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  return rows.map((r) => r.detail).join('; ');
}

/** Every statement prepared on the studio's connection while `work` runs. */
function statementsOf(work: () => void): string[] {
  const db = env.studio.db;
  const prepare = db.prepare.bind(db);
  const seen: string[] = [];
  db.prepare = (sql: string) => (seen.push(sql), prepare(sql));
  try {
    work();
  } finally {
    db.prepare = prepare;
  }
  return seen;
}

describe('what a generation job reads at its start', () => {
  it('finds the scenes lacking their experience through an index on it, in creation order', async () => {
    const { characterId, dataset } = await beethovenWithJob(env.studio);
    for (let i = 0; i < 30; i++) insertLesson(dataset, characterId, `s${i}` as SceneId, {}, 1_000 + (i % 10) * 7 - i);
    for (let i = 0; i < 30; i++) {
      if (i % 7 === 3) continue;
      dataset.insertExperience(
        `s${i}` as SceneId,
        { background: '', turns: [], problems: [], callId: null, promptVersion: 'v' },
        5_000,
      );
    }
    env.studio.db.prepare(`UPDATE scenes SET review_status = 'rejected' WHERE id = 's10'`).run();
    insertLesson(dataset, characterId, 'p1' as SceneId, { protective: true });

    let lacking: SceneId[] = [];
    const [sql] = statementsOf(() => (lacking = dataset.scenesLackingExperience(characterId)));
    const created = (id: string) =>
      env.studio.db.prepare('SELECT created_at, rowid FROM scenes WHERE id = ?').raw().get(id) as number[];
    const expected = ['s3', 's17', 's24'].sort(
      (a, b) => created(a)[0]! - created(b)[0]! || created(a)[1]! - created(b)[1]!,
    );
    expect(lacking).toEqual(expected);
    // Found by has_experience, not by walking every scene of the character in creation order.
    expect(plan(sql!, characterId)).toMatch(
      /USING INDEX \w+ \(character_id=\? AND protective=\? AND has_experience=\?\)/,
    );
  });

  it('pages the stored signatures in creation order by index, with text only for scenes lacking a usable one', async () => {
    const { characterId, dataset } = await beethovenWithJob(env.studio);
    const text = (i: number) => ({ location: `Room ${i}`, background: `Neefe listens to variation ${i}.` });
    for (let i = 0; i < 9; i++) {
      const signature = i % 3 === 0 ? null : encodeSignature(sceneSignature(text(i)), i % 3 === 1 ? 3 : 2);
      insertLesson(dataset, characterId, `s${i}` as SceneId, { ...text(i), dedupeSignature: signature }, 1_000 + i);
    }
    const tag = signatureTag();
    const seen: string[] = [];
    let after: { createdAt: number; rowid: number } | null = null;
    let sql: string | undefined;
    for (;;) {
      let page: ReturnType<typeof dataset.signatures.page> = [];
      [sql] = statementsOf(() => (page = dataset.signatures.page(characterId, tag, after, 4)));
      for (const row of page) {
        // Signed with this hashing (i % 3 === 1): the signature and no text; else the text to sign it.
        const i = Number(row.id.slice(1));
        if (i % 3 === 1) expect(row).toMatchObject({ text: null, signature: expect.any(Uint8Array) });
        else expect(row).toMatchObject({ text: text(i), signature: null });
        seen.push(row.id);
      }
      if (page.length < 4) break;
      after = { createdAt: page.at(-1)!.createdAt, rowid: page.at(-1)!.rowid };
    }
    expect(seen).toEqual(Array.from({ length: 9 }, (_, i) => `s${i}`));
    const detail = plan(sql!, { characterId, tag, createdAt: 0, rowid: 0, limit: 4 });
    expect(detail).toMatch(/USING INDEX \w+ \(character_id=\? AND protective=\? AND created_at>\?\)/);
    expect(detail).not.toMatch(/TEMP B-TREE/);

    // A scene's signature is stored only for the text it was computed from.
    dataset.signatures.store([
      { id: 's0' as SceneId, ...text(0), signature: encodeSignature(sceneSignature(text(0))) },
    ]);
    dataset.signatures.store([
      { id: 's3' as SceneId, ...text(99), signature: encodeSignature(sceneSignature(text(99))) },
    ]);
    const unsigned = dataset.signatures
      .page(characterId, tag, null, 9)
      .filter((r) => r.text !== null)
      .map((r) => r.id);
    expect(unsigned).toEqual(['s2', 's3', 's5', 's6', 's8']);
  });
});

describe('what a job’s progress event reads beside its row', () => {
  it('finds its interrupted calls, failures and notes through indexes of those rows alone', async () => {
    await beethovenWithJob(env.studio);
    const jobs = new JobsRepo(env.studio.db);
    const id = 'job' as JobId;
    const items = Array.from({ length: 60 }, (_, i) => ({
      id: `i${i}`,
      stage: 'experiences' as const,
      key: `k${i}`,
      input: {},
    }));
    jobs.items.planItems(id, items, 1);
    for (let i = 0; i < 60; i++) {
      if (i % 10 === 1) jobs.items.failAttempt(`i${i}`, `gave up ${i}`, 1, null, 100 + i);
      else if (i % 10 === 2) jobs.items.failAttempt(`i${i}`, `will retry ${i}`, 3, null, 100 + i);
      else if (i % 10 === 3) jobs.items.completeItem(`i${i}`, null, 100 + i, `noted ${i}`);
      else if (i % 10 < 8) jobs.items.completeItem(`i${i}`, null, 100 + i);
    }
    for (let i = 0; i < 40; i++) {
      jobs.callRecords.start({
        id: `c${i}`,
        attempt: 1,
        job_id: id,
        item_id: null,
        provider: 'p',
        provider_label: null,
        model: 'm',
        params: '{}',
        messages: '[]',
        started_at: i,
      });
    }
    // A crash with ten calls out: they become interrupted at the next start.
    env.studio.db.prepare(`UPDATE llm_calls SET status = 'done' WHERE rowid % 4 != 0`).run();
    jobs.callRecords.interruptOrphans(1_000);

    let interrupted = 0;
    let failures: ReturnType<typeof jobs.items.recentFailures> = [];
    let notes: ReturnType<typeof jobs.items.itemNotes> = { count: 0, notes: [] };
    const statements = statementsOf(() => {
      interrupted = jobs.callRecords.countInterrupted(id);
      failures = jobs.items.recentFailures(id, 8);
      notes = jobs.items.itemNotes(id, 8);
    });
    expect(interrupted).toBe(10);
    const failed = items.map((_, i) => i).filter((i) => i % 10 === 1 || i % 10 === 2);
    expect(failures.map((f) => f.itemId)).toEqual(
      failed
        .reverse()
        .slice(0, 8)
        .map((i) => `i${i}`),
    );
    expect(failures[0]).toMatchObject({ reason: 'will retry 52', failed: false });
    expect(failures[1]).toMatchObject({ reason: 'gave up 51', failed: true });
    expect(notes.count).toBe(6);
    expect(notes.notes.map((n) => n.text)).toEqual([53, 43, 33, 23, 13, 3].map((i) => `noted ${i}`));

    // Each read walks only the rows it wants, not every call or item of the job.
    const params = [[id], [id, 8], [id], [id, 8]];
    expect(statements).toHaveLength(4);
    statements.forEach((sql, k) =>
      expect(plan(sql, ...params[k]!), sql).toMatch(
        /USING (COVERING )?INDEX (llm_calls_interrupted|job_items_with_error)/,
      ),
    );
  });
});
