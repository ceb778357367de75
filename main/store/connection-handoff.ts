import type { Worker } from 'node:worker_threads';

/**
 * How a worker thread that holds a connection of its own to the studio's database (the WAL
 * checkpointer's, the reader's) lets the studio's connection be the last one to close, so that its
 * close checkpoints the whole log and removes the `-wal` file.
 *
 * Protocol, over one shared word: this side sets it (`held`) before each message that may open the
 * thread's connection; the thread clears it once that connection is closed (`release`, in
 * `RELEASE_SOURCE`). `closeAndWait` posts 'close' and waits on the word, without an answer message:
 * the caller is closing and may not turn the event loop again.
 */
export class ConnectionHandoff {
  private readonly word = new Int32Array(new SharedArrayBuffer(4));

  /** For the thread's `workerData.handoff`. */
  get buffer(): SharedArrayBuffer {
    return this.word.buffer;
  }

  /** A message that may open the thread's connection is about to be sent. */
  held(): void {
    Atomics.store(this.word, 0, 1);
  }

  /** The thread is gone: it holds no connection. */
  dropped(): void {
    Atomics.store(this.word, 0, 0);
  }

  /**
   * Asks the thread to close its connection (its 'close' message, handled after the work in flight)
   * and waits for that, at most `waitMs`; returns at once when it holds none.
   */
  closeAndWait(worker: Worker, waitMs: number): void {
    worker.postMessage('close');
    Atomics.wait(this.word, 0, 1, waitMs);
  }
}

/**
 * The thread's side, to write into its source after its `let db` (the connection, or null):
 * `release()` closes the connection if one is open and tells the other side, which may be waiting.
 */
export const RELEASE_SOURCE = `
const handoff = new Int32Array(workerData.handoff);
function release() {
  try {
    if (db) db.close();
  } finally {
    db = null;
    Atomics.store(handoff, 0, 0);
    Atomics.notify(handoff, 0);
  }
}
`;
