import type Database from 'better-sqlite3';
import { prepareUncached } from './statement-cache';

type Begin = 'default' | 'deferred' | 'immediate' | 'exclusive';

/**
 * Replaces the connection's `transaction(fn)` with one that begins IMMEDIATE: it takes the write
 * lock as it begins, waiting `busy_timeout` for another connection's (an import's writer thread:
 * import-writer.ts). One begun DEFERRED that read first and wrote next fails at once with
 * SQLITE_BUSY, without waiting, when that connection holds the lock or committed since the read
 * (SQLite cannot let it write on an old snapshot). A transaction that only reads may ask for
 * `.deferred`.
 *
 * Same contract as better-sqlite3's: a call begins a transaction, or a savepoint inside one
 * already open; `fn`'s result is returned after the commit (or release); a throw rolls back (to
 * the savepoint) and is rethrown; `fn` may not return a promise. Made here because better-sqlite3
 * builds four wrapped functions and defines twenty properties on them for every `transaction(fn)`,
 * and a generation job asks for several per item (a write, its savepoint, its experience): that
 * was as much CPU as some of the statements they wrapped.
 */
export function immediateTransactions(db: Database.Database): void {
  const run = (sql: string) => prepareUncached(db, sql);
  const begin: Record<Begin, Database.Statement> = {
    default: run('BEGIN'),
    deferred: run('BEGIN DEFERRED'),
    immediate: run('BEGIN IMMEDIATE'),
    exclusive: run('BEGIN EXCLUSIVE'),
  };
  const commit = run('COMMIT');
  const rollback = run('ROLLBACK');
  const savepoint = run('SAVEPOINT studio_tx');
  const release = run('RELEASE studio_tx');
  const rollbackTo = run('ROLLBACK TO studio_tx');

  function within<T>(mode: Begin, fn: (...args: never[]) => T, self: unknown, args: never[]): T {
    const nested = db.inTransaction;
    (nested ? savepoint : begin[mode]).run();
    try {
      const result = fn.apply(self, args);
      if (typeof (result as { then?: unknown } | null)?.then === 'function')
        throw new TypeError('Transaction function cannot return a promise');
      (nested ? release : commit).run();
      return result;
    } catch (error) {
      // SQLite may have rolled the whole transaction back already (a full disk, say).
      if (db.inTransaction) {
        if (nested) {
          rollbackTo.run();
          release.run();
        } else rollback.run();
      }
      throw error;
    }
  }

  const transaction = <F extends (...args: never[]) => unknown>(fn: F) => {
    type Run = (this: unknown, ...args: Parameters<F>) => ReturnType<F>;
    const variant = (mode: Begin): Run =>
      function (this: unknown, ...args) {
        return within(mode, fn, this, args as never[]) as ReturnType<F>;
      };
    const immediate = variant('immediate');
    return Object.assign(immediate, {
      immediate,
      deferred: variant('deferred'),
      exclusive: variant('exclusive'),
      default: variant('default'),
      database: db,
    });
  };
  db.transaction = transaction as Database.Database['transaction'];
}
