import { ID_MATCH_LIMIT } from '../../common/id-match';
import type { Db } from './database';

/** Tables whose rows a person may name at the command line by the start of their id. */
type NamedTable = 'scenes' | 'conversations' | 'jobs' | 'training_runs' | 'interviews';

/**
 * Rows of `table` whose id is `key` or starts with it (as typed), at most `limit`, in id order (so
 * the exact one, the smallest id of the range, comes first): a range of the primary key, read up to
 * `limit` rows whatever the table's size. For the CLI, where ids are typed or pasted.
 */
export function idsStartingWith<Id extends string, CharacterId extends string>(
  db: Db,
  table: NamedTable,
  key: string,
  limit = ID_MATCH_LIMIT,
): { id: Id; characterId: CharacterId }[] {
  const prefix = key.trim();
  return db
    .prepare(`SELECT id, character_id AS characterId FROM ${table} WHERE id >= ? AND id < ? ORDER BY id LIMIT ?`)
    .all(prefix, `${prefix}\uffff`, limit) as { id: Id; characterId: CharacterId }[];
}
