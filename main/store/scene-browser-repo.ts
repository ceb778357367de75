import type {
  CharacterId,
  FacetCount,
  FormatProblemCode,
  HighlightPart,
  SceneFacets,
  SceneFilter,
  SceneKind,
  SceneSort,
  SceneSummary,
} from '../../common/contract';
import { matchExpression } from '../../common/search-query';
import type { Db } from './database';
import { tagsColumn, toSummary, type SummaryRow } from './dataset-repo';
import { KIND_OF_SQL, MODEL_SQL, sceneWhere, without, type SceneWhere } from './scene-filter';

/**
 * Each sort as a numeric key and a direction; the scene's rowid breaks ties in the same direction.
 * Every key but `chunk` has an index (character, key) from migration 012, so a page is one range
 * of it. `chunk` orders by the chunk's rowid (chunks are stored in the profile's order when it is
 * imported); scenes without a chunk (written by hand) come last.
 */
const SORTS: Record<SceneSort, { key: string; dir: 'ASC' | 'DESC' }> = {
  newest: { key: 'created_at', dir: 'DESC' },
  oldest: { key: 'created_at', dir: 'ASC' },
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

/** Marks in FTS5 snippets: control characters no scene text holds (names and turns are trimmed text). */
const OPEN = '\u0002';
const CLOSE = '\u0003';

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
    options: { limit: number; after?: string; sort?: SceneSort; filter?: SceneFilter },
  ): { scenes: SceneSummary[]; next: string | null } {
    const sortName = options.sort ?? 'oldest';
    const sort = SORTS[sortName];
    const where = sceneWhere(characterId, options.filter ?? {});
    const params: Record<string, string | number> = { ...where.params, limit: options.limit + 1 };
    let sql = where.sql;
    if (options.after !== undefined) {
      const cursor = decodeCursor(options.after, sortName);
      if (typeof cursor === 'string') throw new CursorError(cursor);
      sql += ` AND (${sort.key}, rowid) ${sort.dir === 'ASC' ? '>' : '<'} (@afterKey, @afterRow)`;
      Object.assign(params, { afterKey: cursor.key, afterRow: cursor.rowid });
    }
    const rows = this.db
      .prepare(
        `SELECT ${sort.key} AS sort_key, rowid AS row_id, id, character_id, chunk_id, protective, limit_text, type, location,
           time, people, created_at, has_experience, turn_count, word_count, problem_count, review_status, rating,
           reviewed_at, ${tagsColumn('scenes.id')}
         FROM scenes WHERE ${sql} ORDER BY ${sort.key} ${sort.dir}, rowid ${sort.dir} LIMIT @limit`,
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

  /** The browser's filter counts (see `SceneFacets`), each under the rest of the filter. */
  facets(characterId: CharacterId, filter: SceneFilter): SceneFacets {
    const grouped = (column: string, w: SceneWhere, tail = '') =>
      this.db
        .prepare(
          `SELECT ${column} AS value, count(*) AS count FROM scenes WHERE ${w.sql} GROUP BY 1 HAVING value IS NOT NULL ${tail}`,
        )
        .all(w.params) as { value: string; count: number }[];
    const kinds: Partial<Record<SceneKind, number>> = {};
    for (const { value, count } of grouped(KIND_OF_SQL, sceneWhere(characterId, without(filter, 'kind'))))
      kinds[value as SceneKind] = count;
    const problemsWhere = sceneWhere(characterId, { ...filter, problems: true });
    const problems = this.db
      .prepare(`SELECT count(*) FROM scenes WHERE ${problemsWhere.sql}`)
      .pluck()
      .get(problemsWhere.params) as number;
    const speakerWhere = sceneWhere(characterId, without(filter, 'speaker'));
    const speakers = this.db
      .prepare(
        `SELECT speaker AS value, count(*) AS count FROM scene_speakers WHERE character_id = @characterId
           AND scene_id IN (SELECT id FROM scenes WHERE ${speakerWhere.sql})
         GROUP BY speaker ORDER BY count DESC, speaker LIMIT 50`,
      )
      .all(speakerWhere.params) as FacetCount[];
    const chunkWhere = sceneWhere(characterId, without(filter, 'chunkId'));
    const chunks = this.db
      .prepare(
        `SELECT g.chunk_id AS value, p.title || ' · ' || (c.position + 1) AS label, g.count
         FROM (SELECT chunk_id, count(*) AS count FROM scenes WHERE ${chunkWhere.sql} AND chunk_id IS NOT NULL GROUP BY chunk_id) g
         JOIN chunks c ON c.id = g.chunk_id JOIN profiles p ON p.id = c.profile_id
         ORDER BY c.rowid`,
      )
      .all(chunkWhere.params) as FacetCount[];
    return {
      kinds,
      problems,
      speakers,
      promptVersions: grouped(
        'prompt_version',
        sceneWhere(characterId, without(filter, 'promptVersion')),
        'ORDER BY count DESC',
      ),
      models: grouped(MODEL_SQL, sceneWhere(characterId, without(filter, 'model')), 'ORDER BY count DESC'),
      chunks,
    };
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
   * The best-matching words around the search in each row, by rowid: one lookup of the FTS5
   * index per row shown (a rowid seek), never the whole match list. The rowid is cast: bound as
   * the JavaScript number it is (a REAL), FTS5 ignores it and answers with the first match.
   */
  private snippets(rowids: readonly number[], search: string | undefined): Map<number, HighlightPart[]> {
    const snippets = new Map<number, HighlightPart[]>();
    const match = search === undefined ? null : matchExpression(search);
    if (match === null || rowids.length === 0) return snippets;
    const one = this.db
      .prepare(
        `SELECT snippet(scene_search, -1, '${OPEN}', '${CLOSE}', '…', 14) FROM scene_search
         WHERE scene_search MATCH ? AND rowid = CAST(? AS INTEGER)`,
      )
      .pluck();
    for (const rowid of rowids) {
      const text = one.get(match, rowid) as string | undefined;
      if (text !== undefined) snippets.set(rowid, snippetParts(text));
    }
    return snippets;
  }
}

/** A cursor that is not one: the caller's mistake, said plainly. */
export class CursorError extends Error {}

/** An FTS5 snippet with OPEN/CLOSE marks as runs of text, the marked ones `match`. */
export function snippetParts(text: string): HighlightPart[] {
  const parts: HighlightPart[] = [];
  for (const [i, piece] of text.split(new RegExp(`[${OPEN}${CLOSE}]`)).entries()) {
    if (piece !== '') parts.push({ text: piece.replace(/\s+/g, ' '), match: i % 2 === 1 });
  }
  return parts;
}
