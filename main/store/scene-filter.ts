import type { CharacterId, SceneFilter, SceneKind } from '../../common/contract';
import { matchExpression } from '../../common/search-query';
import type { Db } from './database';

/** The condition of an empty filter: every scene of the character. */
export const ONLY_CHARACTER = 'character_id = @characterId';

/** A SQL condition over `scenes` (no alias) with its named parameters. */
export interface SceneWhere {
  sql: string;
  params: Record<string, string | number>;
}

/**
 * The condition selecting a character's scenes that match `filter`, for the list, the counts and
 * bulk review actions alike (one definition, so an action "on every result of this filter" covers
 * exactly what the list showed). Values travel as parameters, never spliced into the SQL.
 */
export function sceneWhere(characterId: CharacterId, filter: SceneFilter = {}, hits?: SearchHits): SceneWhere {
  const parts = [ONLY_CHARACTER];
  const params: Record<string, string | number> = { characterId };
  if (filter.protective !== undefined) parts.push(`protective = ${filter.protective ? 1 : 0}`);
  if (filter.problems) parts.push('problem_count > 0');
  if (filter.waiting !== undefined) parts.push(`has_experience = ${filter.waiting ? 0 : 1}`);
  if (filter.status !== undefined) {
    parts.push('review_status = @status');
    params.status = filter.status;
  }
  if (filter.rating === null) parts.push('rating IS NULL');
  else if (filter.rating !== undefined) {
    parts.push('rating = @rating');
    params.rating = filter.rating;
  }
  if (filter.tag !== undefined) {
    parts.push('id IN (SELECT scene_id FROM scene_tags WHERE character_id = @characterId AND tag = @tag)');
    params.tag = filter.tag;
  }
  if (filter.kind !== undefined) parts.push(KIND_SQL[filter.kind]);
  const match = filter.search === undefined ? null : matchExpression(filter.search);
  if (match !== null && hits?.match === match) parts.push(`rowid IN ${HITS}`);
  else if (match !== null) {
    parts.push('rowid IN (SELECT rowid FROM scene_search WHERE scene_search MATCH @search)');
    params.search = match;
  }
  // Each of these is one condition on one parameter named after the filter's field.
  const simple: [keyof SceneFilter, string][] = [
    ['chunkId', 'chunk_id = @chunkId'],
    ['promptVersion', 'prompt_version = @promptVersion'],
    ['model', 'model = @model'],
    ['speaker', 'id IN (SELECT scene_id FROM scene_speakers WHERE character_id = @characterId AND speaker = @speaker)'],
    ['minTurns', 'turn_count >= @minTurns'],
    ['maxTurns', 'turn_count <= @maxTurns'],
  ];
  for (const [field, sql] of simple) {
    const value = filter[field];
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    parts.push(sql);
    params[field] = value;
  }
  return { sql: parts.join(' AND '), params };
}

/** Each kind as a condition (imported scenes are normal or protective by their flag, like generated ones). */
export const KIND_SQL: Record<SceneKind, string> = {
  normal: "(protective = 0 AND origin IN ('generated', 'import'))",
  protective: "(protective = 1 AND origin IN ('generated', 'import'))",
  hand: "origin = 'hand'",
  chat_correction: "origin = 'chat'",
};

/** The kind of the scene in the current row, as SQL (for grouping). */
export const KIND_OF_SQL =
  "CASE WHEN origin = 'hand' THEN 'hand' WHEN origin = 'chat' THEN 'chat_correction' WHEN protective = 1 THEN 'protective' ELSE 'normal' END";

/** `filter` without `key`: what a facet's counts are taken under. */
export function without<K extends keyof SceneFilter>(filter: SceneFilter, key: K): SceneFilter {
  const { [key]: _left, ...rest } = filter;
  return rest;
}

/** The search's matches, read once for several counts under it (see `loadSearchHits`). */
export interface SearchHits {
  match: string;
}

const HITS = 'temp.scene_search_hits';

/**
 * Reads the rowids matching the filter's search into a temporary table that `sceneWhere` then
 * probes by rowid: a dozen grouped counts under one search ask FTS5 once instead of each time
 * (a common word's match list is what costs). Valid until the next call on this connection;
 * callers use it within one synchronous request. Undefined without a search.
 */
export function loadSearchHits(db: Db, filter: SceneFilter): SearchHits | undefined {
  const match = filter.search === undefined ? null : matchExpression(filter.search);
  if (match === null) return undefined;
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS scene_search_hits (rowid INTEGER PRIMARY KEY); DELETE FROM ${HITS};`);
  db.prepare(`INSERT INTO ${HITS} SELECT rowid FROM scene_search WHERE scene_search MATCH ?`).run(match);
  return { match };
}
