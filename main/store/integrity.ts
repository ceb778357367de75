import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CHECK_MMAP_BYTES } from './database';

/** What the full integrity check found; `problems` holds SQLite's own lines, at most `MAX_PROBLEMS`. */
export interface IntegrityReport {
  ok: boolean;
  problems: string[];
  /** Size of the database file in bytes (without its -wal). */
  sizeBytes: number;
  /** Wall time of the check in ms. */
  durationMs: number;
}

export const MAX_PROBLEMS = 100;

/**
 * The worker's code: a read-only connection of its own runs `PRAGMA integrity_check` (every page,
 * every index against its table; the file read through a memory map, see `CHECK_MMAP_BYTES`), so
 * the caller's connection and event loop stay free for the seconds it takes on a large file.
 * Read-only, it sees the last committed state and writes nothing.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) });
  db.pragma('busy_timeout = 5000');
  db.pragma('mmap_size = ' + workerData.mmapBytes);
  const rows = db.pragma('integrity_check(' + workerData.max + ')', { simple: false }).flatMap((row) => String(Object.values(row)[0]).split('\\n'));
  parentPort.postMessage({ problems: rows.length === 1 && rows[0] === 'ok' ? [] : rows });
} catch (error) {
  parentPort.postMessage({ problems: [error instanceof Error ? error.message : String(error)] });
} finally {
  if (db) db.close();
}
`;

/**
 * Runs the full integrity check of `file` on a worker thread. Never rejects for a damaged file:
 * what SQLite reports (or the error opening it raised) comes back as `problems`.
 */
export async function checkIntegrity(file: string, nativeBinding?: string): Promise<IntegrityReport> {
  const started = performance.now();
  const sizeBytes = fs.statSync(file).size;
  // Resolved here, where the studio's own better-sqlite3 is found; an eval'd worker resolves from the cwd.
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const problems = await new Promise<string[]>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, file, nativeBinding, max: MAX_PROBLEMS, mmapBytes: CHECK_MMAP_BYTES },
    });
    worker.once('message', (message: { problems: string[] }) => resolve(message.problems));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the integrity check stopped early (exit code ${code})`)));
  });
  return { ok: problems.length === 0, problems, sizeBytes, durationMs: Math.round(performance.now() - started) };
}
