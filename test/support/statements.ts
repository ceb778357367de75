import type { Db } from '../../main/store/database';

/** Every statement prepared on `db` while `work` runs, in order (the repositories prepare where they run). */
export function statementsOf(db: Db, work: () => void): string[] {
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
