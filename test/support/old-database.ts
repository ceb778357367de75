import { openDatabase, type Db } from '../../main/store/database';
import { migrations } from '../../main/store/migrations';

/**
 * A studio database as the studio before migration `name` left it: every migration before that one
 * applied to a new `file`, then `seedSql` run on it, written as the studio of then wrote its rows.
 * Returned open, so a test can read what the old schema held; the test closes it, and
 * `openDatabase(file)` then brings it up to date as a newer studio would.
 *
 * Found by name, not number: a migration may be renumbered when branches are joined.
 */
export function databaseBefore(file: string, name: string, seedSql = ''): Db {
  const index = migrations.findIndex((m) => m.name === name);
  if (index < 0) throw new Error(`no migration is named '${name}'`);
  const old = openDatabase(file, { migrations: migrations.slice(0, index) });
  if (seedSql !== '') old.exec(seedSql);
  return old;
}
