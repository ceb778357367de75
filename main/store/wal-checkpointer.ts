import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConnectionHandoff, RELEASE_SOURCE } from './connection-handoff';
import type { Db } from './database';

/**
 * Moves SQLite's WAL checkpoints off the thread that answers requests. By default the connection
 * whose commit takes the log past 1,000 pages copies the log into the database file there and
 * then: two fsyncs and a few MB of writes inside that commit, which on a busy disk held the event
 * loop from ~20 ms to seconds (an import commits a slice every ~10 ms, so it crossed that mark
 * several times a second). Here the studio's connection never checkpoints (`wal_autocheckpoint = 0`);
 * a timer reads how many log frames are not yet in the database file from the WAL index (`-shm`,
 * a 104-byte read) and, past `thresholdFrames`, a worker thread with a connection of its own runs a
 * PASSIVE checkpoint (it waits for no one and blocks no writer). The next write after a complete
 * checkpoint starts the log again from its beginning, and `journal_size_limit` cuts the file back.
 * A writer that leaves no gap between its commits never lets a checkpoint be complete, and the log
 * then only grows: such a writer (an import's copy) calls `drain` from time to time, and the
 * thread's own one-page write then starts the log again. Only a drain does: after a checkpoint the
 * poll asked for, a writer may be committing, and the thread's write (its header fsync included)
 * would hold that writer's commit waiting on the lock on the serving thread.
 *
 * Lifecycle: made right after the database opens, before anything writes. The thread starts then,
 * beside the rest of the studio's opening (~25 ms of CPU on another core, paid once per process):
 * started with the first checkpoint instead, it landed inside the first long job or import, on
 * the path to its first commits. Its one connection opens with the first checkpoint; both stay
 * (unref'd: they never hold the process open; opening a connection per checkpoint read the schema
 * and set it up again each time). A checkpoint
 * that fails closes that connection and the next would open another, but a failure ends the
 * checkpointer (see `done`). `close()` runs before the studio's own connection closes: it asks the
 * thread to close its connection (after a checkpoint in flight) and waits for that, so the studio's
 * connection is the last one and its close checkpoints the whole log and removes the `-wal` file,
 * as before (a one-shot CLI command leaves no log behind).
 */

/**
 * Frames past which a checkpoint is asked for: 16 MB at 4 KB pages, four times SQLite's own
 * autocheckpoint. A checkpoint copies each page once however many frames the log holds of it, and
 * a generation job writes the same pages (its indexes' leaves, its job row) again and again: at
 * 1,000 frames the thread's checkpoints cost a job 0.27 ms of CPU per item, at 4,000 about 0.15.
 */
export const THRESHOLD_FRAMES = 4_000;
/** How often the log's length is read, in ms: with the threshold, bounds how far the log grows past it. */
const POLL_MS = 100;
/** The log file is cut back to this many bytes when it starts again (SQLite leaves it at its largest). */
const LOG_SIZE_LIMIT = 64 * 1024 * 1024;
/** The longest `close()` waits for a checkpoint in flight, in ms (a stuck disk must not hang a quit). */
const CLOSE_WAIT_MS = 10_000;

/**
 * The thread: 'checkpoint' runs one on its connection (opened on the first) and answers with the
 * outcome; 'drain' does too and, when the checkpoint left nothing behind, starts the log again
 * (see `drain`); 'close' closes the connection and answers nothing.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db = null;
let opened = 0;
${RELEASE_SOURCE}const fs = require('node:fs');
const header = Buffer.alloc(40);
/**
 * The log's salt from the WAL index (bytes 32-39 of its header, SQLite's documented layout): a new
 * one each time the log starts again from its beginning.
 */
function logSalt() {
  const fd = fs.openSync(workerData.file + '-shm', 'r');
  try {
    fs.readSync(fd, header, 0, header.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  return header.toString('hex', 32, 40);
}
/**
 * Starts the log again from its beginning with a write of this connection's own (the database's
 * user_version, set to what it is: one page), so that the fsync SQLite gives a new log's header
 * happens on this thread. Gives way (false) to a writer holding the lock: its commit starts the log.
 */
function restartLog() {
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    if (error && error.code === 'SQLITE_BUSY') return false;
    throw error;
  }
  try {
    db.pragma('user_version = ' + Number(db.pragma('user_version', { simple: true })));
    db.exec('COMMIT');
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
  }
  return true;
}
parentPort.on('message', (message) => {
  if (message === 'close') return release();
  let answer;
  try {
    if (!db) {
      // No busy wait: a checkpoint never waits (PASSIVE) and a restart gives way to a writer.
      db = new Database(workerData.file, { fileMustExist: true, timeout: 0, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) });
      opened++;
      db.pragma('journal_size_limit = ' + workerData.logSizeLimit);
    }
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    const whole = row.log > 0 && row.checkpointed === row.log;
    let restarted = false;
    if (message === 'drain' && whole) {
      const salt = logSalt();
      restarted = restartLog() && logSalt() !== salt;
    }
    answer = { busy: row.busy, log: row.log, checkpointed: row.checkpointed, restarted, connections: opened };
  } catch (error) {
    answer = { error: String((error && error.message) || error) };
    // Told before the answer: a studio closing on it finds no connection of ours left open.
    release();
  }
  parentPort.postMessage(answer);
});
`;

/**
 * What one checkpoint did, in frames (SQLite's `wal_checkpoint` row), whether the thread then
 * started the log again from its beginning (only when draining), with how many connections the
 * thread has opened so far (1 while all is well); or why it failed.
 */
export type CheckpointOutcome =
  { busy: number; log: number; checkpointed: number; restarted: boolean; connections: number } | { error: string };

export interface CheckpointerOptions {
  thresholdFrames?: number;
  pollMs?: number;
  nativeBinding?: string;
}

export class WalCheckpointer {
  private worker: Worker | null = null;
  private readonly handoff = new ConnectionHandoff();
  private readonly timer: NodeJS.Timeout;
  private shm: number | null = null;
  private inFlight = false;
  private closed = false;
  private readonly header = Buffer.alloc(104);
  private readonly waiting: ((outcome: CheckpointOutcome) => void)[] = [];
  /** Checkpoints run so far (for tests and diagnostics). */
  checkpoints = 0;
  /** Resolves once the thread runs (it starts with the checkpointer); a thread that never starts leaves it pending. */
  readonly online: Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly file: string,
    private readonly options: CheckpointerOptions = {},
  ) {
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${LOG_SIZE_LIMIT}`);
    this.timer = setInterval(() => this.poll(), options.pollMs ?? POLL_MS);
    this.timer.unref();
    this.online = new Promise((resolve) => this.start().once('online', resolve));
  }

  /**
   * Frames in the log not yet copied into the database file, from the WAL index header (SQLite's
   * documented layout: `mxFrame` at byte 16, `nBackfill` at byte 96, in the machine's byte order);
   * 0 when there is no index. A read torn by a concurrent commit only shifts the next poll.
   */
  pendingFrames(): number {
    const header = this.readHeader();
    return header ? Math.max(0, header.logFrames - header.backfilled) : 0;
  }

  /**
   * Frames in the log now (`mxFrame`: its length since it last started again from its beginning),
   * checkpointed or not; 0 when there is no index.
   */
  logFrames(): number {
    return this.readHeader()?.logFrames ?? 0;
  }

  private readHeader(): { logFrames: number; backfilled: number } | null {
    try {
      this.shm ??= fs.openSync(`${this.file}-shm`, 'r');
      if (fs.readSync(this.shm, this.header, 0, this.header.length, 0) < this.header.length) return null;
    } catch {
      return null;
    }
    const read = os.endianness() === 'LE' ? 'readUInt32LE' : 'readUInt32BE';
    return { logFrames: this.header[read](16), backfilled: this.header[read](96) };
  }

  /**
   * Has the thread checkpoint until every frame of the log is in the database file, so that the
   * next write starts the log again from its beginning (SQLite does so only when the log was
   * checkpointed whole at that moment). A writer that commits every few ms, as an import does,
   * otherwise never finds it whole: each PASSIVE checkpoint ends behind the commits made while it
   * ran, and the log grew to ~11 GB over an import of 100,000 scenes, its appends held up by the
   * disk. The caller writes nothing meanwhile (it awaits this; the event loop runs).
   *
   * Once the log is whole in the database file, the thread starts it again itself, with a one-page
   * write of its connection: SQLite fsyncs a new log's header in the commit that starts it (even at
   * `synchronous = NORMAL`), and in the caller's next commit that fsync held the serving thread up
   * to ~0.7 s while the disk wrote out the pages the checkpoint had just copied.
   *
   * Resolves true once the log was started again (or nothing is left to copy), false when `tries`
   * checkpoints did not get there (someone else kept writing) or the checkpointer is closed or
   * failed: the caller goes on and asks again later.
   */
  async drain(tries = 3): Promise<boolean> {
    for (let i = 0; i < tries && !this.closed; i++) {
      if (this.logFrames() === 0) return true;
      const outcome = this.next();
      // A checkpoint already in flight (a poll's) is awaited, then one that drains is asked.
      if (!this.inFlight) this.ask('drain');
      const done = await outcome;
      if ('error' in done) return false;
      if (done.restarted) return true;
    }
    return !this.closed && this.pendingFrames() === 0;
  }

  /** Resolves with the next checkpoint's outcome (tests wait on it instead of sleeping). */
  next(): Promise<CheckpointOutcome> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * Has the thread close its connection, after a checkpoint in flight (see the class comment), and
   * waits for that (at most `CLOSE_WAIT_MS`), then ends the thread. Safe to call twice.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.worker) this.handoff.closeAndWait(this.worker, CLOSE_WAIT_MS);
    if (this.shm !== null) fs.closeSync(this.shm);
    this.shm = null;
    void this.worker?.terminate();
    this.worker = null;
  }

  private poll(): void {
    if (this.inFlight || this.closed) return;
    if (this.pendingFrames() < (this.options.thresholdFrames ?? THRESHOLD_FRAMES)) return;
    this.ask();
  }

  /** Starts a checkpoint on the thread (one that drains: see `drain`); its outcome comes to `done`. */
  private ask(kind: 'checkpoint' | 'drain' = 'checkpoint'): void {
    this.inFlight = true;
    this.handoff.held();
    this.start().postMessage(kind);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // Resolved here, where the studio's own better-sqlite3 is found; an eval'd worker resolves from the cwd.
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module,
        file: this.file,
        nativeBinding: this.options.nativeBinding,
        handoff: this.handoff.buffer,
        logSizeLimit: LOG_SIZE_LIMIT,
      },
    });
    worker.unref();
    worker.on('message', (outcome: CheckpointOutcome) => this.done(outcome));
    const lost = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.handoff.dropped();
      this.done({ error: error.message });
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the checkpoint thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private done(outcome: CheckpointOutcome): void {
    this.inFlight = false;
    this.checkpoints++;
    // A thread that cannot checkpoint (its connection refused, the thread lost) must not leave the
    // log to grow without end: the studio's connection checkpoints as SQLite does by default again.
    if ('error' in outcome && this.db.open && !this.closed) {
      this.closed = true;
      clearInterval(this.timer);
      this.db.pragma(`wal_autocheckpoint = ${THRESHOLD_FRAMES}`);
    }
    for (const resolve of this.waiting.splice(0)) resolve(outcome);
  }
}
