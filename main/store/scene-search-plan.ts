import { searchTerms, type SearchTerm } from '../../common/search-query';
import type { Db } from './database';
import { indexPendingSearchRows } from './search-deferral';

/**
 * How a page of the browser finds the scenes of a search, in the list's order, at any size.
 *
 * What costs in FTS5 is evaluating a query over its whole doclists: for a word in each of
 * 100,000 scenes 10–50 ms, for a phrase of two common words (its positions compared in every
 * scene) about 200 ms. Read in rowid order with a LIMIT, FTS5 stops after the rows it returns
 * (a page of a common word costs under a millisecond). So:
 *
 * - Oldest and newest first are the rowid order (scenes are numbered as they are added), so the
 *   index is walked in that order, joined to the scenes with the filter's other fields, and stops
 *   at the page's end: the page costs what its rows cost, whatever the number of matches.
 * - A prefix (the word being typed) of 1 to INDEXED_PREFIX characters has an index of its own
 *   (migration 023), read as lazily as a word's. A longer one (`"sonat"*`) would make FTS5 merge
 *   the doclists of every term it begins before it returns a row, so it is first expanded through
 *   the index's vocabulary (`fts5vocab`, a seek per term, see `completionsOf`) into an OR of those
 *   terms, each read lazily; one that begins more than PREFIX_TERMS terms stays a prefix query.
 * - Every other order needs all the matches: they are read once into a temporary table, kept
 *   while the expression and the database stay the same (the next page, the same search asked
 *   again), and the page is one join, driven by the matches when they are few (sorted in memory)
 *   and by the sort's index when they are many.
 */

/** The key of the rowid orders (oldest and newest first), qualified: the index has a rowid too. */
export const ROWID = 'scenes.rowid';

/** Terms a prefix may stand for before it is left to FTS5 as a prefix query. */
export const PREFIX_TERMS = 24;

/** The longest prefix, in characters, with an index of its own (migration 023: `prefix = '1 2 3'`). */
export const INDEXED_PREFIX = 3;

/** Matches up to which a page is driven by them (sorted in memory) rather than by the sort's index. */
const FEW_HITS = 20_000;

/** The list's order and filters as the page's query needs them (see SceneBrowserRepo.page). */
export interface OrderedScan {
  /** The sort key over `scenes`, its direction. */
  key: string;
  dir: 'ASC' | 'DESC';
  /**
   * Conditions on `scenes` (the filter without its search, the keyset) and their parameters; the
   * rowid is written `scenes.rowid` and the keyset's bounds are @afterRow and @throughRow.
   */
  where: string;
  params: Record<string, string | number>;
  /** Rows wanted (the page and one more, to know whether another page follows). */
  limit: number;
}

/** The rowids of the page's scenes matching `expression` (an FTS5 MATCH), in the list's order. */
export function searchPage(db: Db, expression: string, scan: OrderedScan): number[] {
  const params: Record<string, string | number> = { ...scan.params, expression };
  const order = `ORDER BY ${scan.key} ${scan.dir}, scenes.rowid ${scan.dir} LIMIT ${scan.limit}`;
  if (scan.key === ROWID) {
    // CROSS JOIN keeps the index as the outer loop, read in rowid order (FTS5 consumes the ORDER
    // BY) and stopped by the LIMIT; the keyset bounds the index's rowids too.
    const [after, through] = scan.dir === 'ASC' ? ['>', '<='] : ['<', '>='];
    const bound =
      (params.afterRow === undefined ? '' : `AND scene_search.rowid ${after} @afterRow `) +
      (params.throughRow === undefined ? '' : `AND scene_search.rowid ${through} @throughRow`);
    return db
      .prepare(
        `SELECT scenes.rowid FROM scene_search CROSS JOIN scenes ON scenes.rowid = scene_search.rowid
         WHERE scene_search MATCH @expression ${bound} AND ${scan.where}
         ORDER BY scene_search.rowid ${scan.dir} LIMIT ${scan.limit}`,
      )
      .pluck()
      .all(params) as number[];
  }
  const hits = loadHits(db, expression);
  // Few matches: they are the outer loop (a rowid lookup each and a small sort) instead of the
  // sort's whole index checked against them.
  const sql =
    hits <= FEW_HITS
      ? `SELECT scenes.rowid FROM (SELECT hit FROM ${HITS}) h CROSS JOIN scenes ON scenes.rowid = h.hit WHERE ${scan.where} ${order}`
      : `SELECT scenes.rowid FROM scenes WHERE ${scan.where} AND scenes.rowid IN (SELECT hit FROM ${HITS}) ${order}`;
  return db.prepare(sql).pluck().all(params) as number[];
}

/**
 * The index's terms, one row per occurrence (`instance`): a seek to the first term at or after a
 * bound is the first row of its doclist. The `row` kind counts each term's documents, reading its
 * whole doclist (~7 ms warm, ~25 ms cold for a word in each of 100,000 scenes) just to list it.
 */
const VOCAB = 'temp.scene_search_terms';
/** Quoted for FTS5: a quoted string is always plain tokens, never syntax. */
const quoted = (words: readonly string[]) => `"${words.join(' ')}"`;

/**
 * The FTS5 MATCH expression of `query` (the search box's text) with its longer prefixes expanded,
 * or null when no scene can match it (a prefix that begins no indexed term). `query` holds a word
 * (see `matchExpression`). Every term is quoted, so no input makes a syntax error.
 */
export function searchExpression(db: Db, query: string): string | null {
  // The index must hold every scene before it is read (search-deferral.ts).
  indexPendingSearchRows(db);
  const parts: string[] = [];
  for (const term of searchTerms(query)) {
    if (!term.prefix) {
      parts.push(quoted(term.words));
      continue;
    }
    // FTS5 counts a prefix's length in characters (code points), as the spread does.
    if ([...term.words[term.words.length - 1]!].length <= INDEXED_PREFIX) {
      parts.push(`${quoted(term.words)}*`);
      continue;
    }
    const expanded = expandPrefix(db, term);
    if (expanded === null) parts.push(`${quoted(term.words)}*`);
    else if (expanded.length === 0) return null;
    else parts.push(expanded.length === 1 ? expanded[0]! : `(${expanded.join(' OR ')})`);
  }
  return parts.join(' AND ');
}

/**
 * The phrases a prefix term stands for (its last word completed by each indexed term it begins),
 * [] when it begins none, or null when it begins more than PREFIX_TERMS.
 */
function expandPrefix(db: Db, term: SearchTerm): string[] | null {
  const completions = completionsOf(db, term.words[term.words.length - 1]!);
  if (completions.length > PREFIX_TERMS) return null;
  return completions.map((word) => quoted([...term.words.slice(0, -1), word]));
}

/**
 * Each connection's completions of the stems it expanded, while the database stays as it was:
 * the list and its counts expand the same search, and typing on ("beet", "beeth") narrows a
 * stem already expanded, so the vocabulary is read once per stem typed, not once per request.
 */
const expansions = new WeakMap<Db, { state: string; stems: Map<string, string[]> }>();

/** Up to PREFIX_TERMS + 1 indexed terms that `stem` begins, in the index's order. */
function completionsOf(db: Db, stem: string): string[] {
  const state = databaseState(db);
  let known = expansions.get(db);
  if (known?.state !== state) expansions.set(db, (known = { state, stems: new Map() }));
  const exact = known.stems.get(stem);
  if (exact) return exact;
  // A shorter stem with all its completions (not cut at PREFIX_TERMS + 1) holds all of this one's.
  for (const [shorter, terms] of known.stems)
    if (stem.startsWith(shorter) && terms.length <= PREFIX_TERMS) return terms.filter((t) => t.startsWith(stem));
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${VOCAB} USING fts5vocab(main, scene_search, instance)`);
  // One seek per term: the first occurrence at or after the bound, then after that term (terms
  // compare as UTF-8 bytes: `term + NUL` is the least string after it, and U+10FFFF sorts after
  // anything that can follow the stem). A seek skips a doclist's pages without decoding them.
  const next = db.prepare(`SELECT term FROM ${VOCAB} WHERE term >= ? AND term < ? LIMIT 1`).pluck();
  const end = `${stem}\u{10FFFF}`;
  const completions: string[] = [];
  for (let from = stem; completions.length <= PREFIX_TERMS;) {
    const term = next.get(from, end) as string | undefined;
    if (term === undefined) break;
    completions.push(term);
    from = `${term}\u0000`;
  }
  // Kept for a while of typing and browsing, not for ever while nothing is written.
  if (known.stems.size >= 200) known.stems.clear();
  known.stems.set(stem, completions);
  return completions;
}

const HITS = 'temp.scene_search_page_hits';
/** What each connection's hits table holds: its expression at a state of the database, and its size. */
const loaded = new WeakMap<Db, { key: string; count: number }>();

/**
 * The database as this connection sees it, as a string that changes with any write: another
 * connection's commit moves data_version, this one's own writes total_changes (its temporary
 * tables' included, so a reader takes it before filling one).
 */
export const databaseState = (db: Db) =>
  `${db.pragma('data_version', { simple: true }) as number}:${db.prepare('SELECT total_changes()').pluck().get() as number}`;

/**
 * Reads the rowids matching `expression` into a temporary table, once per expression and state of
 * the database, and returns how many there are.
 */
function loadHits(db: Db, expression: string): number {
  const cached = loaded.get(db);
  if (cached?.key === `${databaseState(db)}\n${expression}`) return cached.count;
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS scene_search_page_hits (hit INTEGER PRIMARY KEY); DELETE FROM ${HITS};`);
  const count = db
    .prepare(`INSERT INTO ${HITS} SELECT rowid FROM scene_search WHERE scene_search MATCH ?`)
    .run(expression).changes;
  // Keyed by the state after this connection's own DELETE and INSERT.
  loaded.set(db, { key: `${databaseState(db)}\n${expression}`, count });
  return count;
}
