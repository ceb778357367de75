import type {
  CharacterId,
  FormatProblemCode,
  HighlightPart,
  SceneFacets,
  SceneFilter,
  SceneSort,
  SceneSummary,
} from '../../common/contract';
import { firstMatch, markTerms, matchExpression, searchTerms } from '../../common/search-query';
import type { Db } from './database';
import { tagsColumn, toSummary, type SummaryRow } from './dataset-repo';
import { sceneWhere, without } from './scene-filter';
import { filterCountsRead } from './filter-counts';
import { readNow } from './read-worker';
import { ROWID, searchExpression, searchPage } from './scene-search-plan';

/**
 * Each sort as a numeric key and a direction; the scene's rowid breaks ties in the same direction.
 * Oldest and newest are the order scenes were added in, their rowid (each is stamped `created_at`
 * as it is inserted, so this is the creation order; a search can then read its index in the same
 * order, see scene-search-plan.ts), over the index of migration 021. Every other key but `chunk`
 * has an index (character, key) from migration 012, so a page is one range of it. `chunk` orders by the chunk's rowid (chunks are stored in the profile's order when it is
 * imported); scenes without a chunk (written by hand) come last.
 */
const SORTS: Record<SceneSort, { key: string; dir: 'ASC' | 'DESC' }> = {
  newest: { key: ROWID, dir: 'DESC' },
  oldest: { key: ROWID, dir: 'ASC' },
  turns: { key: 'turn_count', dir: 'DESC' },
  words: { key: 'word_count', dir: 'DESC' },
  rating: { key: 'coalesce(rating, 0)', dir: 'DESC' },
  chunk: {
    key: `coalesce((SELECT c.rowid FROM chunks c WHERE c.id = scenes.chunk_id), ${Number.MAX_SAFE_INTEGER})`,
    dir: 'ASC',
  },
};

/** Where a page ends: the sort it belongs to, the last row's key and rowid. Opaque to callers. */
interface Cursor {
  sort: SceneSort;
  key: number;
  rowid: number;
}

const encode = (c: Cursor) => `${c.sort}.${c.key}.${c.rowid}`;

/** The cursor in `text`, or an error message saying what is wrong with it. */
export function decodeCursor(text: string, sort: SceneSort): Cursor | string {
  const match = /^([a-z]+)\.(-?\d+(?:\.\d+)?)\.(\d+)$/.exec(text);
  if (!match)
    return `"${text}" is not a page cursor: pass the "next" value a previous page returned, or nothing for the first page.`;
  if (match[1] !== sort)
    return `This cursor belongs to the "${match[1]}" order, not "${sort}": start again from the first page when changing the order.`;
  return { sort, key: Number(match[2]), rowid: Number(match[3]) };
}

/**
 * The Dataset tab's list and filter counts at any size: pages follow a keyset over an index (no
 * OFFSET, no count per page), search reads the FTS5 index of migration 012, and the counts are
 * grouped queries the renderer caches until `dataset/changed`.
 */
export class SceneBrowserRepo {
  constructor(private readonly db: Db) {}

  /**
   * Up to `limit` scenes after `after` (a cursor from the previous page) in `sort` order, and the
   * cursor of the next page (null after the last one). Throws a plain Error with a readable
   * message for a cursor that is not one.
   */
  page(
    characterId: CharacterId,
    options: { limit: number; after?: string; through?: string; sort?: SceneSort; filter?: SceneFilter },
  ): { scenes: SceneSummary[]; next: string | null } {
    const sortName = options.sort ?? 'oldest';
    const sort = SORTS[sortName];
    const filter = options.filter ?? {};
    const expression = filter.search === undefined ? null : matchExpression(filter.search);
    // With a search, scene-search-plan.ts finds the page's rowids; the filter's other fields and
    // the keyset are the same conditions either way.
    const where = sceneWhere(characterId, expression === null ? filter : without(filter, 'search'));
    const params: Record<string, string | number> = { ...where.params, limit: options.limit + 1 };
    let sql = where.sql;
    if (options.after !== undefined) {
      const cursor = decodeCursor(options.after, sortName);
      if (typeof cursor === 'string') throw new CursorError(cursor);
      sql += ` AND (${sort.key}, scenes.rowid) ${sort.dir === 'ASC' ? '>' : '<'} (@afterKey, @afterRow)`;
      Object.assign(params, { afterKey: cursor.key, afterRow: cursor.rowid });
    }
    if (options.through !== undefined) {
      const cursor = decodeCursor(options.through, sortName);
      if (typeof cursor === 'string') throw new CursorError(cursor);
      sql += ` AND (${sort.key}, scenes.rowid) ${sort.dir === 'ASC' ? '<=' : '>='} (@throughKey, @throughRow)`;
      Object.assign(params, { throughKey: cursor.key, throughRow: cursor.rowid });
    }
    if (expression !== null) {
      const expanded = searchExpression(this.db, filter.search ?? '');
      const scan = { ...sort, where: sql, params, limit: options.limit + 1 };
      const rowids = expanded === null ? [] : searchPage(this.db, expanded, scan);
      sql = 'rowid IN (SELECT value FROM json_each(@rowids))';
      params.rowids = JSON.stringify(rowids);
    }
    const rows = this.db
      .prepare(
        `SELECT ${sort.key} AS sort_key, rowid AS row_id, id, character_id, chunk_id, protective, limit_text, type, location,
           time, people, created_at, has_experience, turn_count, word_count, problem_count, review_status, rating,
           reviewed_at, ${tagsColumn('scenes.id')}
         FROM scenes WHERE ${sql} ORDER BY ${sort.key} ${sort.dir}, scenes.rowid ${sort.dir} LIMIT @limit`,
      )
      .all(params) as (SummaryRow & { sort_key: number; row_id: number })[];
    const more = rows.length > options.limit;
    const shown = more ? rows.slice(0, options.limit) : rows;
    const codes = this.problemCodes(shown.filter((r) => r.problem_count > 0).map((r) => r.id));
    const snippets = this.snippets(
      shown.map((r) => r.row_id),
      options.filter?.search,
    );
    const last = shown[shown.length - 1];
    return {
      scenes: shown.map((r) => {
        const summary = toSummary(r, codes.get(r.id) ?? {});
        const snippet = snippets.get(r.row_id);
        return snippet ? { ...summary, snippet } : summary;
      }),
      next: more && last ? encode({ sort: sortName, key: last.sort_key, rowid: last.row_id }) : null,
    };
  }

  /**
   * The browser's filter counts (see `SceneFacets`), each under the rest of the filter, read on
   * this connection (the doors read them on the reader thread: core/dataset/filter-counts-service).
   */
  facets(characterId: CharacterId, filter: SceneFilter): SceneFacets {
    const search = filter.search === undefined ? null : matchExpression(filter.search);
    const read = filterCountsRead(
      characterId,
      filter,
      search === null ? undefined : searchExpression(this.db, filter.search!),
    );
    return read.of(readNow(this.db, read.queries)).facets;
  }

  /** Format problem counts by code of the scenes named (those with any). */
  private problemCodes(ids: readonly string[]): Map<string, Partial<Record<FormatProblemCode, number>>> {
    const codes = new Map<string, Partial<Record<FormatProblemCode, number>>>();
    if (ids.length === 0) return codes;
    const found = this.db
      .prepare(
        `SELECT scene_id, code, count FROM scene_problem_counts WHERE scene_id IN (${ids.map(() => '?').join(',')})`,
      )
      .all(...ids) as { scene_id: string; code: FormatProblemCode; count: number }[];
    for (const f of found) codes.set(f.scene_id, { ...codes.get(f.scene_id), [f.code]: f.count });
    return codes;
  }

  /**
   * Where the search's words are in each row shown, by rowid: the first column of the index that
   * holds one, cut to a few words around it. Read from the index's stored text by rowid (no MATCH
   * per row: for a word in every scene that would read its whole doclist each time) and marked
   * with the renderer's own `markTerms`, so the list marks exactly what the reader and editor do.
   */
  private snippets(rowids: readonly number[], search: string | undefined): Map<number, HighlightPart[]> {
    const snippets = new Map<number, HighlightPart[]>();
    const terms = search === undefined ? [] : searchTerms(search);
    if (terms.length === 0 || rowids.length === 0) return snippets;
    const rows = this.db
      .prepare(
        `SELECT rowid AS row_id, type, location, time, background, people, experience FROM scene_search
         WHERE rowid IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(rowids)) as ({ row_id: number } & Record<(typeof SEARCHED)[number], string>)[];
    for (const row of rows) {
      for (const column of SEARCHED) {
        const at = firstMatch(row[column], terms);
        if (at < 0) continue;
        // Only a window around the first match is marked: an experience is thousands of
        // characters, and a common word matches all through it.
        const text = row[column];
        const from = at > SNIPPET_LEAD ? text.indexOf(' ', at - SNIPPET_LEAD) : 0;
        const window = (from > 0 ? '… ' : '') + text.slice(from, at + SNIPPET_TAIL);
        snippets.set(row.row_id, around(markTerms(window, terms), SNIPPET_WORDS));
        break;
      }
    }
    return snippets;
  }
}

/** The index's columns in the order a snippet prefers them (the experience says most). */
const SEARCHED = ['experience', 'background', 'location', 'type', 'time', 'people'] as const;
/** Words a snippet keeps around its first match. */
const SNIPPET_WORDS = 14;
/** Characters of text read before and after a snippet's first match (more than its words need). */
const SNIPPET_LEAD = 120;
const SNIPPET_TAIL = 600;

/**
 * `parts` cut to about `words` words from a little before the first match, with "…" where text
 * was cut; line breaks become spaces (the list shows one line of it).
 */
export function around(parts: readonly HighlightPart[], words: number): HighlightPart[] {
  const first = parts.findIndex((p) => p.match);
  const before = (parts[first - 1]?.text ?? '').replace(/\s+/g, ' ').split(' ');
  const lead = before.slice(-4).join(' ');
  const out: HighlightPart[] = [{ text: (before.length > 4 ? '…' : '') + lead, match: false }];
  let count = 0;
  for (const part of parts.slice(first)) {
    const text = part.text.replace(/\s+/g, ' ');
    if (part.match) {
      out.push({ text, match: true });
      count += 1;
    } else {
      const pieces = text.split(' ');
      const room = Math.max(0, words - count);
      out.push({ text: pieces.slice(0, room + 1).join(' ') + (pieces.length > room + 1 ? '…' : ''), match: false });
      count += pieces.length;
    }
    if (count >= words) break;
  }
  return out.filter((p) => p.text !== '');
}

/** A cursor that is not one: the caller's mistake, said plainly. */
export class CursorError extends Error {}
