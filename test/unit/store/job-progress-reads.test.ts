import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CharacterId, JobId } from '../../../common/contract';
import { CharactersRepo } from '../../../main/store/characters-repo';
import { openDatabase, type Db } from '../../../main/store/database';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { tempDir } from '../../support/paths';
import { statementsOf } from '../../support/statements';

// Every progress event of a job counts its notes, lists its recent failures and counts its
// interrupted calls (job-view.ts). Migration 030's partial indexes let each read only those rows,
// not every item or call of the job: a job of 100,000 items sends a few events a second.

let tmp: { dir: string; cleanup: () => void };
let db: Db;
beforeEach(() => {
  tmp = tempDir();
  db = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

/** The query plan of every statement `work` prepares on `db`, one line each. */
function plansOf(work: () => void, params: unknown[]): string[] {
  return statementsOf(db, work).map((sql) =>
    (
      db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params.slice(0, (sql.match(/\?/g) ?? []).length)) as {
        detail: string;
      }[]
    )
      .map((r) => r.detail)
      .join('; '),
  );
}

it("reads a job's notes, failures and interrupted calls through indexes of those rows alone", () => {
  const characterId = 'c1' as CharacterId;
  const jobId = 'job-1' as JobId;
  new CharactersRepo(db).insert(characterId, { fullName: 'Ada Lovelace', shortName: 'Ada', era: '', notes: '' }, 1);
  const jobs = new JobsRepo(db);
  jobs.insertJob({ id: jobId, characterId, settings: {} }, 1);
  jobs.planItems(
    jobId,
    Array.from({ length: 40 }, (_, i) => ({ id: `item-${i}`, stage: 'experiences' as const, key: `k${i}`, input: {} })),
    1,
  );
  for (let i = 0; i < 40; i++) {
    if (i % 10 === 3) jobs.failAttempt(`item-${i}`, `timeout ${i}`, 3, null, 10 + i);
    else jobs.completeItem(`item-${i}`, null, 10 + i, i % 10 === 5 ? `note ${i}` : null);
  }
  for (let i = 0; i < 6; i++)
    db.prepare(
      `INSERT INTO llm_calls (id, attempt, job_id, provider, model, params, messages, latency_ms, started_at, status)
       VALUES (?, 1, ?, 'p', 'm', '{}', '[]', 0, 1, ?)`,
    ).run(`call-${i}`, jobId, i < 2 ? 'interrupted' : 'done');

  let read: unknown;
  const plans = plansOf(
    () =>
      (read = {
        notes: jobs.itemNotes(jobId, 8),
        failures: jobs.recentFailures(jobId, 8).map((f) => f.itemId),
        interrupted: jobs.callRecords.countInterrupted(jobId),
      }),
    [jobId, 8],
  );
  expect(read).toMatchObject({
    notes: { count: 4 },
    failures: ['item-33', 'item-23', 'item-13', 'item-3'],
    interrupted: 2,
  });
  expect(plans).toHaveLength(4);
  for (const plan of plans)
    expect(plan).toMatch(/^SEARCH \w+ USING (COVERING )?INDEX (job_items_errors|llm_calls_interrupted) \(job_id=\?\)$/);
});
