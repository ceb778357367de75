import fs from 'node:fs';
import type { Db } from '../../main/store/database';

/** SQLite's WAL layout (sqlite.org/fileformat2.html#walformat): a 32-byte header, then frames. */
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/**
 * The transactions committed to `file`'s write-ahead log since it last started again, oldest
 * first, each as the names of the tables and indexes whose pages it wrote (read from `dbstat` on
 * `db`). A frame belongs to the log's current generation when its salts match the header's, and a
 * frame whose "database size" field is not 0 ends a transaction. For tests that count commits: no
 * checkpoint may run between the writes and this read (a small test stays far under the
 * checkpointer's threshold).
 */
export function walTransactions(db: Db, file: string): Set<string>[] {
  const log = fs.readFileSync(`${file}-wal`);
  if (log.length < WAL_HEADER) return [];
  const pageSize = log.readUInt32BE(8);
  const salt = log.subarray(16, 24);
  const names = new Map(
    (db.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[]).map((r) => [
      r.pageno,
      r.name,
    ]),
  );
  const transactions: Set<string>[] = [];
  let open = new Set<string>();
  for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= log.length; at += FRAME_HEADER + pageSize) {
    if (!log.subarray(at + 8, at + 16).equals(salt)) break;
    open.add(names.get(log.readUInt32BE(at)) ?? '(free)');
    if (log.readUInt32BE(at + 4) !== 0) {
      transactions.push(open);
      open = new Set();
    }
  }
  return transactions;
}
