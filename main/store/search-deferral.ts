import type { Db } from './database';
import { SearchMerges } from './search-merges';

/**
 * Rows of the dataset search index (`scene_search`) written in bulk after a generation job's
 * writes, not one by one inside them (migration 036).
 *
 * Why: FTS5 writes what a transaction (or a savepoint) indexed as a new segment of the index when
 * it commits, and a segment costs much more than its rows: a group commit holds two or three job
 * items, and indexing rows three at a time cost a generation job ~0.6 ms of CPU per item, a fifth
 * of all it spent. Indexed a hundred at a time, and a scene with its experience as one row rather
 * than a row written and then rewritten, the same rows cost a fraction of that.
 *
 * Contract:
 * - Inside `deferringSearchRows` (the group commit's transaction), the triggers that keep the index
 *   note the scenes whose row must be (re)written in `search_pending` instead of indexing them.
 *   Every other write indexes at once, as before. The notes commit with the writes.
 * - A noted scene's row is written whole from what is stored when it is written (its fields, its
 *   experience's text), so several changes make one row; a scene deleted meanwhile gets none; one
 *   of an import still copying is left to the import, as the triggers leave it.
 * - Nothing reads the index without its rows: every search calls `indexPendingSearchRows` first
 *   (scene-search-plan.ts `searchExpression`, and the filters that search: review-repo.ts,
 *   job-items-repo.ts), which writes what is noted, whichever process or window noted it.
 * - The rows are written once `PENDING_ROWS` are noted (in the group commit that reaches it), when
 *   the batch has been idle for a while (write-batch.ts), before the database closes, and at open.
 */
export const PENDING_ROWS = 64;

/**
 * Runs `run` (inside the caller's transaction) with search rows deferred, then writes those of
 * noted scenes that have their experience if there are `PENDING_ROWS` or more. Returns `run`'s
 * result and how many scenes stay noted.
 */
export function deferringSearchRows<T>(db: Db, run: () => T): { result: T; pending: number; wrote: boolean } {
  const set = db.prepare('INSERT OR IGNORE INTO search_deferral (id) VALUES (1)').run().changes > 0;
  const result = run();
  // A deferral already open (a batch inside a batch) is ended by the outer one.
  if (!set) return { result, pending: 0, wrote: false };
  db.prepare('DELETE FROM search_deferral').run();
  const noted = db
    .prepare(
      `SELECT count(*) AS pending, coalesce(sum(s.has_experience != 0), 0) AS ready
       FROM search_pending p LEFT JOIN scenes s ON s.rowid = p.scene_rowid`,
    )
    .get() as { pending: number; ready: number };
  if (noted.ready < PENDING_ROWS) return { result, pending: noted.pending, wrote: false };
  writeUnmerged(db, READY);
  return { result, pending: noted.pending - noted.ready, wrote: true };
}

/** Noted scenes whose experience is written: their row will not change again when it comes. */
const READY = 'WHERE s.has_experience != 0';

/**
 * Writes every noted search row, in one transaction (the caller's, if one is open). True when it
 * wrote some: their segment is left unmerged (see `writeUnmerged`).
 */
export function indexPendingSearchRows(db: Db): boolean {
  if (db.prepare('SELECT 1 FROM search_pending LIMIT 1').get() === undefined) return false;
  db.transaction(() => writeUnmerged(db, ''))();
  return true;
}

/**
 * `writePendingRows` without FTS5's merges in the commit. With its default automerge, FTS5 merges
 * inside the commit that writes a new segment, each time another 64 leaf pages have been written:
 * 64 × (levels) pages, ~500 and 30–40 ms at 100,000 scenes (search-merges.ts), on the serving
 * thread. The rows are written with automerge held at 0 and made a segment then, then the setting
 * is put back; the merges are left to bounded steps (`SearchMerges.mergeSlice`, which the group
 * commit runs after: write-batch.ts). Inside the caller's transaction.
 */
function writeUnmerged(db: Db, condition: string): void {
  const merges = new SearchMerges(db);
  const automerge = merges.automerge();
  if (automerge === 0) return writePendingRows(db, condition);
  merges.hold();
  writePendingRows(db, condition);
  // Made a segment now, while automerge is 0: FTS5 writes the rows it holds when a savepoint opens
  // (its xSavepoint), so whatever it does with the setting restored below, these are written.
  db.transaction(() => undefined)();
  merges.restore(automerge);
}

/**
 * Writes the rows of the noted scenes that `condition` (on `scenes s`) selects, and forgets their
 * notes: three statements for all of them (a row per scene was three statements a scene).
 */
function writePendingRows(db: Db, condition: string): void {
  // The notes drive every statement (CROSS JOIN keeps them the outer loop): given the choice, the
  // planner walked all of `scenes` in rowid order for the ORDER BY, or by `has_experience`, and
  // looked each up in the notes: ~10–30 ms a statement at 100,000 scenes, for 64 rows.
  // Notes of deleted scenes too when every note is written (their rows go); a condition on the scene
  // leaves those out anyway.
  const join = condition === '' ? 'LEFT JOIN' : 'CROSS JOIN';
  const noted = `SELECT p.scene_rowid FROM search_pending p ${join} scenes s ON s.rowid = p.scene_rowid ${condition}`;
  // The rows being rewritten (a scene edited since its row was written); new scenes have none.
  db.prepare(`DELETE FROM scene_search WHERE rowid IN (${noted})`).run();
  db.prepare(
    `INSERT INTO scene_search (rowid, type, location, time, background, people, experience)
     SELECT s.rowid, s.type, s.location, s.time, s.background,
       (SELECT coalesce(group_concat(value, ', '), '') FROM json_each(s.people)),
       CASE WHEN e.scene_id IS NULL THEN '' ELSE e.background || char(10) ||
         (SELECT coalesce(group_concat(json_extract(value, '$.text'), char(10)), '') FROM json_each(e.turns)) END
     FROM search_pending p CROSS JOIN scenes s ON s.rowid = p.scene_rowid LEFT JOIN experiences e ON e.scene_id = s.id
     ${condition === '' ? 'WHERE true' : condition}
       AND (s.import_id IS NULL OR NOT EXISTS (SELECT 1 FROM dataset_imports i WHERE i.id = s.import_id AND i.copying = 1))
     ORDER BY s.rowid`,
  ).run();
  db.prepare(`DELETE FROM search_pending WHERE scene_rowid IN (${noted})`).run();
}
