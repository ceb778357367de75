import type { JobId } from '../../common/contract';
import type { Db } from '../../main/store/database';
import type { JobScope } from '../../main/store/job-figures';
import type { JobRow } from '../../main/store/jobs-repo';

// A job's progress figures counted afresh from its items, scenes and experiences, to hold the
// figures its row keeps (migration 022's triggers) to the truth.

/** What a generation job answers for, counted from the scenes and experiences as written. */
export function recountScope(db: Db, row: Pick<JobRow, 'id' | 'character_id' | 'created_at'>): JobScope {
  const rows = db
    .prepare(
      `SELECT s.protective, e.scene_id IS NOT NULL AS has FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id
       WHERE s.character_id = ? AND (s.job_id = ? OR s.created_at < ?)`,
    )
    .all(row.character_id, row.id, row.created_at) as { protective: number; has: number }[];
  return {
    scenes: rows.filter((r) => r.protective === 0).length,
    experiences: rows.filter((r) => r.protective === 0 && r.has === 1).length,
    protective: rows.filter((r) => r.protective === 1).length,
    protectiveExperiences: rows.filter((r) => r.protective === 1 && r.has === 1).length,
  };
}

/** The job's row with its figures recounted: items by stage and status, and its scope. */
export function recountedRow(db: Db, id: JobId): JobRow {
  const row = db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow;
  const counts: Record<string, Record<string, number>> = {};
  const items = db
    .prepare('SELECT stage, status, count(*) AS n FROM job_items WHERE job_id = ? GROUP BY stage, status')
    .all(id) as { stage: string; status: string; n: number }[];
  for (const { stage, status, n } of items) (counts[stage] ??= {})[status] = n;
  const scope = row.kind === 'generation' ? recountScope(db, row) : null;
  return {
    ...row,
    item_counts: JSON.stringify(counts),
    scope_scenes: scope?.scenes ?? 0,
    scope_experiences: scope?.experiences ?? 0,
    scope_protective: scope?.protective ?? 0,
    scope_protective_experiences: scope?.protectiveExperiences ?? 0,
  };
}
