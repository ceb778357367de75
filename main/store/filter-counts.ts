import type {
  CharacterId,
  FacetCount,
  ReviewCounts,
  ReviewStatus,
  SceneFacets,
  SceneFilter,
  SceneKind,
} from '../../common/contract';
import type { ReadQuery } from './read-worker';
import { filterConditions, KIND_OF_SQL, ONLY_CHARACTER } from './scene-filter';

/** Every count the browser's filter controls show: the review ones and the other facets. */
export interface FilterCounts {
  counts: ReviewCounts;
  facets: SceneFacets;
}

/** Queries read together (one transaction, on the reader thread) and what their rows make. */
export interface CountsRead {
  queries: ReadQuery[];
  of: (rows: unknown[]) => FilterCounts;
}

/**
 * The filter fields that are facets: each one's counts are taken under the rest of the filter
 * (choosing another status shows how many the list would then hold). The other fields (search,
 * protective, problems, waiting, turns) hold for every count.
 */
const FACETS = ['kind', 'status', 'rating', 'tag', 'speaker', 'chunkId', 'promptVersion', 'model'] as const;
type Facet = (typeof FACETS)[number];

/** The values each single-valued facet is grouped by (tag and speaker are many per scene). */
const GROUPED: Partial<Record<Facet, string>> = {
  kind: KIND_OF_SQL,
  status: 'review_status',
  rating: 'rating',
  chunkId: 'chunk_id',
  promptVersion: 'prompt_version',
  model: 'model',
};

const HITS = 'temp.filter_count_hits';

/**
 * `review/counts` and `scenes/facets` for one filter, in one read: the search's matches are read
 * once into a temporary table, then ONE grouped pass over the character's scenes gives every
 * single-valued facet (kind, status, rating, chunk, prompt version, model), the total, the
 * problems and the waiting: each row group carries whether each facet's own condition holds, so a
 * facet's counts are the groups where every other condition holds. Speakers and tags (many per
 * scene) are one grouped join each. `expression` is the search's FTS5 expression (null: it can
 * match nothing; undefined: no search).
 */
export function filterCountsRead(
  characterId: CharacterId,
  filter: SceneFilter,
  expression: string | null | undefined,
): CountsRead {
  const { conditions, params: fieldParams } = filterConditions(filter);
  const params: Record<string, string | number> = { characterId, ...fieldParams };
  const base = [ONLY_CHARACTER];
  const queries: ReadQuery[] = [];
  if (expression !== undefined) {
    queries.push(
      {
        sql: `CREATE TEMP TABLE IF NOT EXISTS filter_count_hits (hit INTEGER PRIMARY KEY)`,
        params: [],
        all: false,
        run: true,
      },
      { sql: `DELETE FROM ${HITS}`, params: [], all: false, run: true },
    );
    if (expression !== null)
      queries.push({
        sql: `INSERT INTO ${HITS} SELECT rowid FROM scene_search WHERE scene_search MATCH ?`,
        params: [expression],
        all: false,
        run: true,
      });
    base.push(`rowid IN (SELECT hit FROM ${HITS})`);
  }
  const own = new Map<Facet, string>();
  for (const c of conditions) {
    if (c.field === 'search') continue;
    if ((FACETS as readonly string[]).includes(c.field)) own.set(c.field as Facet, c.sql);
    else base.push(c.sql);
  }
  const holds = (facet: Facet) => own.get(facet) ?? '1';
  const allBut = (facet: Facet) =>
    [...base, ...[...own].filter(([f]) => f !== facet).map(([, sql]) => sql)].join(' AND ');
  // Grouped by the columns of index scenes_by_facets (migration 021) in its order, so the pass is
  // that index read once with no sort. Kind and the facets' own conditions are functions of those
  // columns, so they are read per group without being grouped by; tag and speaker (many per
  // scene) are grouped by when the filter has them.
  const byId = (['tag', 'speaker'] as const).filter((f) => own.has(f));
  const grouped = Object.entries(GROUPED).map(([facet, sql]) => `${sql} AS "${facet}"`);
  const flags = FACETS.map((f) => `(${holds(f)}) AS "m_${f}"`);
  const groupsOf = (where: string, sign = '') =>
    `SELECT ${grouped.join(', ')}, problem_count > 0 AS problem, has_experience = 0 AS waiting, ${flags.join(', ')},
       ${sign}count(*) AS n
     FROM scenes WHERE ${where}
     GROUP BY origin, protective, review_status, rating, chunk_id, prompt_version, model, problem_count, has_experience
       ${byId.map((f) => `, "m_${f}"`).join('')}`;
  // A search is the only condition on the scenes but the facets' own: when it matches most of
  // them, every count is taken the other way round, see `otherWayRound`.
  const searchOnly = expression !== undefined && base.length === 2;
  if (searchOnly) queries.push(...leftOut(params));
  const speakersUnder = allBut('speaker');
  const read = (sql: string, way: Partial<ReadQuery> = {}): ReadQuery => ({ sql, params: [params], all: true, ...way });
  const columns = [...Object.keys(GROUPED), 'problem', 'waiting', ...FACETS.map((f) => `m_${f}`)].map((c) => `"${c}"`);
  const groupWays = searchOnly
    ? [
        read(
          `SELECT ${columns.join(', ')}, sum(n) AS n
           FROM (${groupsOf(ONLY_CHARACTER)} UNION ALL ${groupsOf(LEFT_OUT_ROWS, '-')})
           GROUP BY ${columns.join(', ')} HAVING sum(n) > 0`,
          { when: MOST_MATCH },
        ),
        read(groupsOf(base.join(' AND ')), { orElse: true }),
      ]
    : [read(groupsOf(base.join(' AND ')))];
  const speakerWays = speakersRead(speakersUnder, searchOnly && speakersUnder === base.join(' AND '), read);
  const first = queries.length;
  queries.push(
    ...groupWays,
    ...speakerWays,
    {
      sql: `SELECT tag, count(*) AS count FROM scene_tags WHERE character_id = @characterId
              AND scene_id IN (SELECT id FROM scenes WHERE ${allBut('tag')})
            GROUP BY tag ORDER BY count DESC, tag`,
      params: [params],
      all: true,
    },
    {
      sql: `SELECT c.id AS value, p.title || ' · ' || (c.position + 1) AS label
            FROM chunks c JOIN profiles p ON p.id = c.profile_id WHERE p.character_id = ? ORDER BY c.rowid`,
      params: [characterId],
      all: true,
    },
  );
  return {
    queries,
    of: (rows) => {
      const answers = rows.slice(first);
      // Of each count's ways, the one the reader ran.
      const ran = (from: number, ways: number) => answers.slice(from, from + ways).find((a) => a !== null);
      const groups = ran(0, groupWays.length) as Group[];
      const speakers = ran(groupWays.length, speakerWays.length) as FacetCount[];
      const [tags, chunkLabels] = answers.slice(groupWays.length + speakerWays.length) as [
        { tag: string; count: number }[],
        { value: string; label: string }[],
      ];
      return tally(groups, speakers, tags, chunkLabels, filter);
    },
  };
}

/**
 * Counting the other way round. A search's matches are the outer loop of every count (each scene
 * matched is looked up, its speakers by its key): for a word in most of 100,000 scenes that is
 * ~100 ms of SQLite's time. When the search matches more than half of the character's scenes,
 * each count is instead the character's whole count (an index read alone) less that of the
 * scenes the search leaves out, which are few. The reader decides (MOST_MATCH), so no round trip
 * between the threads is spent on it; either way gives the same counts.
 */
const LEFT_OUT = 'temp.filter_count_left_out';
const WAY = 'temp.filter_count_way';
const MOST_MATCH = `SELECT most FROM ${WAY}`;
const LEFT_OUT_ROWS = `rowid IN (SELECT row FROM ${LEFT_OUT})`;

/** The queries that decide the way and, the other way round, read the scenes the search leaves out. */
function leftOut(params: Record<string, string | number>): ReadQuery[] {
  const run = (sql: string, way: Partial<ReadQuery> = {}): ReadQuery => ({
    sql,
    params: [params],
    all: false,
    run: true,
    ...way,
  });
  return [
    run('CREATE TEMP TABLE IF NOT EXISTS filter_count_left_out (row INTEGER PRIMARY KEY)'),
    run('CREATE TEMP TABLE IF NOT EXISTS filter_count_way (most INTEGER NOT NULL)'),
    run(`DELETE FROM ${LEFT_OUT}`),
    run(`DELETE FROM ${WAY}`),
    // The character's scenes are counted no further than twice the matches: a narrow search
    // decides at once.
    run(
      `INSERT INTO ${WAY} SELECT (SELECT count(*) FROM ${HITS}) * 2 > (SELECT count(*) FROM
         (SELECT 1 FROM scenes WHERE ${ONLY_CHARACTER} LIMIT (SELECT count(*) * 2 + 1 FROM ${HITS})))`,
    ),
    run(
      `INSERT INTO ${LEFT_OUT} SELECT rowid FROM scenes WHERE ${ONLY_CHARACTER} AND rowid NOT IN (SELECT hit FROM ${HITS})`,
      {
        when: MOST_MATCH,
      },
    ),
  ];
}

/**
 * The speakers' counts over the scenes that pass `under`: one query, or two ways of which the
 * reader runs one. Under no other condition than the character the speakers index alone answers;
 * else each scene that passes looks its speakers up by its key, or, with `otherWay` (`under` is
 * the character and a search alone), when the search matches most scenes, every speaker's count
 * from the index less those of the scenes the search leaves out.
 */
function speakersRead(under: string, otherWay: boolean, read: (sql: string, way?: Partial<ReadQuery>) => ReadQuery) {
  const most = 'ORDER BY count DESC, value LIMIT 50';
  const all = `SELECT speaker AS value, count(*) AS count FROM scene_speakers WHERE ${ONLY_CHARACTER} GROUP BY speaker`;
  const ofScenes = (where: string, sign = '') =>
    `SELECT ss.speaker AS value, ${sign}count(*) AS count
     FROM (SELECT id FROM scenes WHERE ${where}) s CROSS JOIN scene_speakers ss ON ss.scene_id = s.id GROUP BY ss.speaker`;
  if (under === ONLY_CHARACTER) return [read(`${all} ${most}`)];
  if (!otherWay) return [read(`${ofScenes(under)} ${most}`)];
  return [
    read(
      `SELECT value, sum(count) AS count FROM (${all} UNION ALL ${ofScenes(LEFT_OUT_ROWS, '-')})
       GROUP BY value HAVING sum(count) > 0 ${most}`,
      { when: MOST_MATCH },
    ),
    read(`${ofScenes(under)} ${most}`, { orElse: true }),
  ];
}

type Group = Record<Facet, string | number | null> &
  Record<`m_${Facet}`, number> & {
    problem: number;
    waiting: number;
    n: number;
  };

/** Sums the grouped pass into the counts each control shows. */
function tally(
  groups: readonly Group[],
  speakers: FacetCount[],
  tags: { tag: string; count: number }[],
  chunkLabels: readonly { value: string; label: string }[],
  filter: SceneFilter,
): FilterCounts {
  const allHold = (g: Group, except?: Facet) => FACETS.every((f) => f === except || g[`m_${f}`] === 1);
  /** Counts of `facet`'s values over the groups where every other facet's condition holds. */
  const byValue = (facet: Facet) => {
    const out = new Map<string | number | null, number>();
    for (const g of groups) if (allHold(g, facet)) out.set(g[facet], (out.get(g[facet]) ?? 0) + g.n);
    return out;
  };
  const sum = (keep: (g: Group) => boolean) => groups.reduce((n, g) => n + (allHold(g) && keep(g) ? g.n : 0), 0);
  const status: Record<ReviewStatus, number> = { unreviewed: 0, accepted: 0, rejected: 0 };
  for (const [value, n] of byValue('status')) status[value as ReviewStatus] = n;
  const ratings: ReviewCounts['ratings'] = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0, none: 0 };
  for (const [value, n] of byValue('rating')) ratings[value === null ? 'none' : (String(value) as '1')] = n;
  const kinds: Partial<Record<SceneKind, number>> = {};
  for (const [value, n] of byValue('kind')) kinds[value as SceneKind] = n;
  const chunkCounts = byValue('chunkId');
  const chunks = chunkLabels.flatMap((c) =>
    chunkCounts.has(c.value) ? [{ value: c.value, label: c.label, count: chunkCounts.get(c.value)! }] : [],
  );
  /** A facet's values with their counts, most first (ties by value); values that are NULL left out. */
  const ranked = (facet: Facet): FacetCount[] =>
    [...byValue(facet)]
      .flatMap(([value, count]) => (value === null ? [] : [{ value: String(value), count }]))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  return {
    counts: {
      total: sum(() => true),
      status,
      ratings,
      tags,
      // Rejected scenes are never completed, so they do not wait, unless the filter asks for a status.
      waiting: sum((g) => g.waiting === 1 && (filter.status !== undefined || g.status !== 'rejected')),
    },
    facets: {
      kinds,
      problems: sum((g) => g.problem === 1),
      speakers,
      promptVersions: ranked('promptVersion'),
      models: ranked('model'),
      chunks,
    },
  };
}
