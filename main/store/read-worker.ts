import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ConnectionHandoff, RELEASE_SOURCE } from './connection-handoff';
import type { Db } from './database';
import { cacheStatements, MAX_CACHED } from './statement-cache';

/** The longest `close()` waits for a read in flight to end (a read is tens of ms; a hung disk must not hang a quit). */
const CLOSE_WAIT_MS = 2_000;

/**
 * Reads that scan many rows (sums over a character's 100,000 scenes take tens of milliseconds of
 * SQLite's time) run here, on a worker thread with a read-only connection of its own, so the thread
 * that answers requests is never held by them. WAL lets it read beside the studio's connection and
 * see what that connection last committed, as a read on it outside a transaction would.
 *
 * Lifecycle: the thread starts with the first query and stays for the next ones; it holds the
 * process open only while a query is out. Its connection opens with the first query and stays,
 * with its compiled statements: opened for each read, it read and set up the whole schema again
 * each time, ~2 ms of the thread's CPU for a sum that takes 0.5 (the Dataset tab asks for one every
 * 750 ms). `close()` runs before the studio's own connection closes: it has the thread close its
 * connection (after a read in flight, waiting at most `CLOSE_WAIT_MS`) and waits for that, so the
 * studio's connection is the last one and its close removes the `-wal` file; then it ends the
 * thread. A query sent after `close()` starts a new one.
 */
/**
 * The answers of `queries` on `db`, in order (see ReadQuery): plain JavaScript, so that the
 * reader thread runs the very same function (its source is written into the thread's).
 */
function answerAll(db: Db, queries: readonly ReadQuery[]): unknown[] {
  let ran = true;
  return queries.map(({ sql, params, all, run, when, orElse }) => {
    ran = orElse
      ? !ran
      : when === undefined ||
        Boolean(
          db
            .prepare(when)
            .pluck()
            .get(...params),
        );
    if (!ran) return null;
    const statement = db.prepare(sql);
    if (run) return statement.run(...params).changes;
    return all ? statement.all(...params) : statement.get(...params);
  });
}

const WORKER_SOURCE = `
const answerAll = ${answerAll.toString()};
const cacheStatements = ${cacheStatements.toString()};
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const queue = [];
let db = null;
let closing = false;
${RELEASE_SOURCE}function drain() {
  if (closing) return;
  if (!db) {
    try {
      db = new Database(workerData.file, { readonly: true, fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) });
      db.pragma('busy_timeout = 5000');
      cacheStatements(db, ${MAX_CACHED});
    } catch (error) {
      release();
      for (const { id } of queue.splice(0)) parentPort.postMessage({ id, error: String(error && error.message || error) });
      return;
    }
  }
  while (queue.length > 0) {
    const { id, queries, slot } = queue.shift();
    // A newer read of the same slot is waiting: this one's answer would be shown to no one.
    if (slot !== undefined && queue.some((later) => later.slot === slot)) {
      parentPort.postMessage({ id, superseded: true });
      continue;
    }
    let answer;
    try {
      // One read transaction: the queries of one message see the same committed state (writes
      // go only to temporary tables, which a read-only connection may hold).
      answer = { id, rows: db.transaction(() => answerAll(db, queries))() };
    } catch (error) {
      answer = { id, error: String(error && error.message || error) };
    }
    parentPort.postMessage(answer);
  }
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    closing = true;
    queue.length = 0;
    return release();
  }
  queue.push(message);
  if (queue.length === 1) setImmediate(drain);
});
`;

export interface ReadQuery {
  sql: string;
  params: readonly unknown[];
  /** Every row (`.all`) rather than the first (`.get`). */
  all: boolean;
  /** A statement that returns no rows (filling a temporary table): its answer is the rows it changed. */
  run?: boolean;
  /**
   * A scalar query (same parameters) read first: unless its value is true the query does not run
   * and its answer is null. It lets one read choose its way by what the data holds (how many
   * scenes a search matches) without a round trip between the threads.
   */
  when?: string;
  /** The query runs exactly when the one before it did not (the other way of the same answer). */
  orElse?: boolean;
}

/** The queries' answers on `db` itself, as the reader thread gives them (where there is none). */
export function readNow(db: Db, queries: readonly ReadQuery[]): unknown[] {
  return db.transaction(() => answerAll(db, queries)).deferred();
}

/** A read dropped before it started because a newer one of the same slot was waiting (see `read`). */
export class SupersededRead extends Error {
  constructor() {
    super('A newer read of the same figures replaced this one before it started.');
  }
}

interface Pending {
  resolve: (rows: unknown) => void;
  reject: (error: Error) => void;
}

export class ReadWorker {
  private worker: Worker | null = null;
  private readonly handoff = new ConnectionHandoff();
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

  /**
   * Several queries read in one transaction (so they see the same state): each one's row (`all`:
   * rows). With a `slot`, a read still waiting when a newer read of the same slot arrives is
   * dropped and rejects with `SupersededRead` (the filter counts of a list whose search changed).
   */
  read(queries: readonly ReadQuery[], options: { slot?: string } = {}): Promise<unknown[]> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (rows: unknown) => void, reject });
      worker.ref();
      this.handoff.held();
      worker.postMessage({ id, queries, slot: options.slot });
    });
  }

  /**
   * Has the thread close its connection, after a read in flight (see the class comment), and waits
   * for that (at most `CLOSE_WAIT_MS`); then ends the thread. Queries still out are refused.
   */
  close(): void {
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      this.handoff.closeAndWait(worker, CLOSE_WAIT_MS);
      void worker.terminate();
    }
    this.fail(new Error('The studio closed its database before the query finished.'));
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // Resolved here, where the studio's own better-sqlite3 is found; an eval'd worker resolves from the cwd.
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, file: this.file, nativeBinding: this.nativeBinding, handoff: this.handoff.buffer },
    });
    worker.unref();
    worker.on('message', (message: { id: number; rows?: unknown; error?: string; superseded?: boolean }) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.superseded) pending.reject(new SupersededRead());
      else if (message.error !== undefined) pending.reject(new Error(message.error));
      else pending.resolve(message.rows);
    });
    const lost = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.handoff.dropped();
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
