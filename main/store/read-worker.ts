import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Reads that scan many rows (sums over a character's 100,000 scenes take tens of milliseconds of
 * SQLite's time) run here, on a worker thread with a read-only connection of its own, so the thread
 * that answers requests is never held by them. WAL lets it read beside the studio's connection and
 * see what that connection last committed, as a read on it outside a transaction would.
 *
 * Lifecycle: the thread starts with the first query and stays for the next ones; it holds the
 * process open only while a query is out. Its connection is opened for each query and closed when
 * the queue is empty, so none is left open when the studio closes its own (the last connection to
 * close removes the `-wal` file). `close()` ends the thread; a query sent after it starts a new one.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const queue = [];
function drain() {
  let db;
  try {
    db = new Database(workerData.file, { readonly: true, fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) });
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    for (const { id } of queue.splice(0)) parentPort.postMessage({ id, error: String(error && error.message || error) });
    return;
  }
  // Answered after the connection is closed: a studio closing its own on the answer is then the
  // last connection, and removes the -wal file.
  const answers = [];
  while (queue.length > 0) {
    const { id, queries } = queue.shift();
    try {
      // One read transaction: the queries of one message see the same committed state.
      const rows = db.transaction(() => queries.map(({ sql, params, all }) => {
        const statement = db.prepare(sql);
        return all ? statement.all(...params) : statement.get(...params);
      }))();
      answers.push({ id, rows });
    } catch (error) {
      answers.push({ id, error: String(error && error.message || error) });
    }
  }
  db.close();
  for (const answer of answers) parentPort.postMessage(answer);
}
parentPort.on('message', (message) => {
  queue.push(message);
  if (queue.length === 1) setImmediate(drain);
});
`;

export interface ReadQuery {
  sql: string;
  params: readonly unknown[];
  /** Every row (`.all`) rather than the first (`.get`). */
  all: boolean;
}

interface Pending {
  resolve: (rows: unknown) => void;
  reject: (error: Error) => void;
}

export class ReadWorker {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly file: string,
    private readonly nativeBinding?: string,
  ) {}

  /** The first row `sql` gives for `params`, or undefined. */
  async get<T>(sql: string, ...params: unknown[]): Promise<T | undefined> {
    const [row] = await this.read([{ sql, params, all: false }]);
    return row as T | undefined;
  }

  /** Every row `sql` gives for `params`. */
  async all<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    const [rows] = await this.read([{ sql, params, all: true }]);
    return rows as T[];
  }

  /** Several queries read in one transaction (so they see the same state): each one's row (`all`: rows). */
  read(queries: readonly ReadQuery[]): Promise<unknown[]> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (rows: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ id, queries });
    });
  }

  /** Ends the thread; queries still out are refused. */
  close(): void {
    const worker = this.worker;
    this.worker = null;
    if (worker) void worker.terminate();
    this.fail(new Error('The studio closed its database before the query finished.'));
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // Resolved here, where the studio's own better-sqlite3 is found; an eval'd worker resolves from the cwd.
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, file: this.file, nativeBinding: this.nativeBinding },
    });
    worker.unref();
    worker.on('message', (message: { id: number; rows?: unknown; error?: string }) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.error !== undefined) pending.reject(new Error(message.error));
      else pending.resolve(message.rows);
    });
    const lost = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.fail(error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the database reader stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const pending of all) pending.reject(error);
  }
}
