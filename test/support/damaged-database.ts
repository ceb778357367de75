import Database from 'better-sqlite3';
import fs from 'node:fs';

/**
 * Adds `rows` characters (notes of 500 bytes) to an existing studio database, enough to span many
 * pages, and closes it cleanly. A plain connection: e2e tests, which cannot load the migrations'
 * SQL files, use it on a database `serve` created.
 */
export function populateCharacters(file: string, rows = 2000): void {
  const db = new Database(file);
  const insert = db.prepare(
    `INSERT INTO characters (id, full_name, short_name, notes, created_at, updated_at) VALUES (?, ?, 'x', ?, 1, 1)`,
  );
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`c${String(i).padStart(5, '0')}`, `name ${i}`, 'n'.repeat(500));
  })();
  db.close();
}

/**
 * Scribbles over the last leaf page of `characters` (past its 8-byte page header), as a bad disk
 * would: deep in the file, off every table's first path, so only a check of every page finds it.
 * Located on a plain read-only connection, so no studio session marker is written or cleared.
 * Returns the file's new bytes.
 */
export function damageDeepPage(file: string): Buffer {
  const db = new Database(file, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const page = db
    .prepare(`SELECT max(pageno) FROM dbstat WHERE name = 'characters' AND pagetype = 'leaf'`)
    .pluck()
    .get() as number;
  db.close();
  const bytes = fs.readFileSync(file);
  bytes.fill(0x5a, (page - 1) * pageSize + 8, page * pageSize);
  fs.writeFileSync(file, bytes);
  return bytes;
}
