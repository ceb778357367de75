import Database from 'better-sqlite3';

/** How many SQL texts a connection's cache holds (see `cacheStatements`). */
export const MAX_CACHED = 1_000;

/**
 * Makes `db.prepare` return one compiled statement per SQL text instead of compiling it again on
 * every call. The repositories prepare their SQL where they run it (clear to read), and a
 * generation job runs a dozen such statements per item: compiling them was the largest share of
 * the studio's CPU per item.
 *
 * Contract: a statement handed out again has pluck, raw and expand off, as a fresh one would; one
 * still busy (being iterated) is not shared: the caller gets a fresh, uncached one. Statements
 * must not be `bind()`-ed permanently (none are). The cache lives as long as the connection and
 * holds at most `maxCached` texts (`MAX_CACHED`: SQL assembled from fixed fragments is a bounded
 * set; past the bound, statements are compiled each time as before).
 *
 * Plain JavaScript but for its types, with no reference outside itself, so that the reader thread
 * runs the very same function (read-worker.ts writes its source into the thread's).
 */
export function cacheStatements(db: Database.Database, maxCached: number): void {
  const compile = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  const cached = (source: string): Database.Statement => {
    const statement = cache.get(source);
    if (statement === undefined) {
      const fresh = compile(source);
      if (cache.size < maxCached) cache.set(source, fresh);
      return fresh;
    }
    if (statement.busy) return compile(source);
    if (statement.reader) statement.raw(false).pluck(false).expand(false);
    return statement;
  };
  db.prepare = cached as typeof db.prepare;
}

/**
 * `source` compiled on `db` outside the cache, for statements their owner holds and drops (an
 * import's stage: its SQL names a schema attached for that import only, so caching it would only
 * fill the cache with statements no one runs again).
 */
export function prepareUncached(db: Database.Database, source: string): Database.Statement {
  return Database.prototype.prepare.call(db, source);
}
