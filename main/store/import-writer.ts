import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { CopyJob, ImportStage } from './import-stage';
import { STUDIO_PRAGMAS } from './database';
import { decodeStructure, nextMergeInputPages } from './fts5-structure';
import { copySteps, mergeSteps, undoSteps } from './import-steps';
import { LARGE_MERGE_INPUT_PAGES, MERGE_PAGES, USERMERGE } from './search-merges';

/**
 * Where an import's copy into the store is written, a slice at a time (`DatasetImportService.copy`
 * drives it; each slice one transaction of about `budgetMs`).
 */
export interface StageWriter {
  /**
   * Copies the scenes after ordinal `after`, at most `fit` of them (at least one step), while
   * `budgetMs` lasts; the last ordinal copied, and the ms the slice took.
   */
  copySlice(after: number, fit: number, budgetMs: number): Promise<{ upTo: number; ms: number }>;
  /** Removes copied scenes down from `upTo` for `budgetMs`; the last ordinal left (at 0 the import's row goes too). */
  undoSlice(upTo: number, budgetMs: number): Promise<number>;
  /** One slice of the search index's merges (search-merges.ts); whether work may remain. */
  mergeSlice(budgetMs: number): Promise<boolean>;
  /** Ends the writer (its thread, with its connection closed); safe to call twice. */
  close(): Promise<void>;
}

/** Writes on the studio's own connection, on the calling thread (a repo made without a database file). */
export class InlineStageWriter implements StageWriter {
  constructor(
    private readonly stage: ImportStage,
    private readonly importId: string,
  ) {}

  copySlice(after: number, fit: number, budgetMs: number): Promise<{ upTo: number; ms: number }> {
    const started = performance.now();
    const deadline = started + budgetMs;
    const upTo = this.stage.copySlice(this.importId, after, (n) => n < fit && performance.now() < deadline);
    return Promise.resolve({ upTo, ms: performance.now() - started });
  }

  undoSlice(upTo: number, budgetMs: number): Promise<number> {
    const deadline = performance.now() + budgetMs;
    return Promise.resolve(this.stage.undoSlice(this.importId, upTo, () => performance.now() < deadline));
  }

  mergeSlice(budgetMs: number): Promise<boolean> {
    return Promise.resolve(this.stage.mergeSlice(budgetMs));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A message to the writer thread (sent with an `id` that pairs it with its answer). */
type Request =
  | { op: 'copy'; after: number; fit: number; budgetMs: number }
  | { op: 'undo'; upTo: number; budgetMs: number }
  | { op: 'merge'; budgetMs: number }
  | { op: 'pragmas'; names: readonly string[] }
  | { op: 'close' };

type Answer = { id: number; value: unknown } | { id: number; error: string };

/**
 * The thread: its connection opens with the studio's pragmas, attaches the stage's file and
 * compiles the copy's statements once; each message runs one transaction (import-steps.ts) and
 * answers with its figures; 'close' closes the connection and ends the thread.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const copySteps = ${copySteps.toString()};
const undoSteps = ${undoSteps.toString()};
const mergeSteps = ${mergeSteps.toString()};
const decodeStructure = ${decodeStructure.toString()};
const nextMergeInputPages = ${nextMergeInputPages.toString()};
const job = workerData.job;
const db = new Database(workerData.file, { fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) });
for (const pragma of workerData.pragmas) db.pragma(pragma);
db.prepare('ATTACH DATABASE ? AS ' + job.schema).run(job.stageFile);
const copy = job.copySql.map((sql) => db.prepare(sql));
const remove = db.prepare(job.removeSql);
const structure = db.prepare('SELECT block FROM scene_search_data WHERE id = 10').pluck();
const merges = { commitRatio: 1 };
const mergeSettings = {
  mergePages: workerData.merge.pages,
  largeInputPages: workerData.merge.largeInputPages,
  nextInputPages: () => {
    const record = structure.get();
    return record instanceof Uint8Array ? nextMergeInputPages(decodeStructure(record), workerData.merge.userMerge) : 0;
  },
};
function answer(message) {
  const started = performance.now();
  const deadline = started + (message.budgetMs ?? 0);
  const left = () => performance.now() < deadline;
  switch (message.op) {
    case 'copy': {
      const params = { ...job.params, after: message.after };
      const upTo = copySteps(db, copy, params, job.step, job.last, (n) => n < message.fit && left());
      return { upTo, ms: performance.now() - started };
    }
    case 'undo':
      return undoSteps(db, remove, message.upTo, job.step, left);
    case 'merge':
      return mergeSteps(db, merges, message.budgetMs, mergeSettings);
    case 'pragmas':
      return Object.fromEntries(message.names.map((name) => [name, db.pragma(name, { simple: true })]));
  }
}
parentPort.on('message', (message) => {
  if (message.op === 'close') {
    db.close();
    parentPort.postMessage({ id: message.id, value: null });
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ id: message.id, value: answer(message) });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String((error && error.message) || error) });
  }
});
`;

/** Writer threads running now, in this process (tests: none is left once its import ends). */
const running = new Set<Worker>();

/** How many import writer threads are running in this process. */
export function runningImportWriters(): number {
  return running.size;
}

/**
 * An import's copy, undo and search-index merges on a worker thread with a connection of its own
 * to the studio's file (opened with the studio's pragmas, `STUDIO_PRAGMAS`), so the serving
 * thread spends none of its time on the copy's writes, nor waits on the disk inside their commits.
 * Each transaction is as short as a slice (~10 ms): a write of the serving thread arriving meanwhile
 * waits that long at most for the lock (`busy_timeout`; its transactions begin IMMEDIATE: database.ts).
 *
 * Lifecycle: the thread starts with the writer (when the copy begins) and ends with `close`, which
 * the import runs however it ends, and `DatasetImportRepo.closeWriters` when the studio closes
 * (before the studio's connection does, so that one is the last to close). A thread that dies
 * fails the slice in flight with a message saying so; the undo then runs on the studio's own
 * connection (`fallback`), and so do merges, so a failed import still leaves the store as it was.
 */
export class ImportWriter implements StageWriter {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  /** Why the thread stopped, once it has (then `fallback` writes). */
  private lost: Error | null = null;
  /** Resolves once the thread has ended. */
  readonly ended: Promise<void>;
  private readonly fallback: InlineStageWriter;

  constructor(
    private readonly stage: ImportStage,
    private readonly importId: string,
    file: string,
    nativeBinding?: string,
  ) {
    this.fallback = new InlineStageWriter(stage, importId);
    // Resolved here, where the studio's own better-sqlite3 is found; an eval'd worker resolves from the cwd.
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const job: CopyJob = stage.copyJob(importId);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module,
        file,
        nativeBinding,
        job,
        // The checkpoint thread copies the log into the file (wal-checkpointer.ts), for this connection's commits too.
        pragmas: [...STUDIO_PRAGMAS, 'wal_autocheckpoint = 0'],
        merge: { pages: MERGE_PAGES, largeInputPages: LARGE_MERGE_INPUT_PAGES, userMerge: USERMERGE },
      },
    });
    running.add(this.worker);
    this.ended = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('message', (answer: Answer) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      if ('error' in answer)
        pending.reject(new Error(`The import's copy failed on its writing thread: ${answer.error}.`));
      else pending.resolve(answer.value);
    });
    this.worker.on('error', (error) => this.stop(error));
    this.worker.on('exit', (code) => {
      running.delete(this.worker);
      this.stop(new Error(`it ended (exit code ${code})`));
    });
  }

  async copySlice(after: number, fit: number, budgetMs: number): Promise<{ upTo: number; ms: number }> {
    return (await this.ask({ op: 'copy', after, fit, budgetMs })) as { upTo: number; ms: number };
  }

  async undoSlice(upTo: number, budgetMs: number): Promise<number> {
    if (this.lost) return this.fallback.undoSlice(upTo, budgetMs);
    const left = (await this.ask({ op: 'undo', upTo, budgetMs })) as number;
    if (left === 0) this.stage.forget(this.importId);
    return left;
  }

  async mergeSlice(budgetMs: number): Promise<boolean> {
    if (this.lost) return this.fallback.mergeSlice(budgetMs);
    return (await this.ask({ op: 'merge', budgetMs })) as boolean;
  }

  /** The thread's connection's setting of each pragma named (tests: the studio's own). */
  async pragmas(names: readonly string[]): Promise<Record<string, unknown>> {
    return (await this.ask({ op: 'pragmas', names })) as Record<string, unknown>;
  }

  async close(): Promise<void> {
    if (!this.lost) {
      try {
        await this.ask({ op: 'close' });
      } catch {
        // The thread is gone already: nothing of it is left to close.
      }
    }
    await this.terminate();
  }

  /** Ends the thread at once (the studio closing); its connection closes with it. */
  async terminate(): Promise<void> {
    this.stop(new Error('the studio closed'));
    await this.worker.terminate();
    await this.ended;
  }

  private ask(request: Request): Promise<unknown> {
    if (this.lost) return Promise.reject(this.failure(this.lost));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  private stop(reason: Error): void {
    this.lost ??= reason;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of pending) reject(this.failure(reason));
  }

  private failure(reason: Error): Error {
    return new Error(`The import's writing thread stopped (${reason.message}).`);
  }
}
