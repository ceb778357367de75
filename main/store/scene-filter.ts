import type { CharacterId, SceneFilter, SceneKind } from '../../common/contract';
import { matchExpression } from '../../common/search-query';

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
export function sceneWhere(characterId: CharacterId, filter: SceneFilter = {}): SceneWhere {
  const { conditions, params } = filterConditions(filter);
  return { sql: [ONLY_CHARACTER, ...conditions.map((c) => c.sql)].join(' AND '), params: { characterId, ...params } };
}

/** One field of a filter as a condition over `scenes` (its parameters are in `FilterConditions`). */
export interface FieldCondition {
  field: keyof SceneFilter;
  sql: string;
}

/** A filter's fields as conditions, in a fixed order, and the parameters they name (plus @characterId). */
export interface FilterConditions {
  conditions: FieldCondition[];
  params: Record<string, string | number>;
}

/** `filter`'s fields, each as its condition (the counts take some of them away one at a time). */
export function filterConditions(filter: SceneFilter): FilterConditions {
  const conditions: FieldCondition[] = [];
  const params: Record<string, string | number> = {};
  const add = (field: keyof SceneFilter, sql: string) => conditions.push({ field, sql });
  if (filter.protective !== undefined) add('protective', `protective = ${filter.protective ? 1 : 0}`);
  if (filter.problems) add('problems', 'problem_count > 0');
  if (filter.waiting !== undefined) add('waiting', `has_experience = ${filter.waiting ? 0 : 1}`);
  if (filter.status !== undefined) {
    add('status', 'review_status = @status');
    params.status = filter.status;
  }
  if (filter.rating === null) add('rating', 'rating IS NULL');
  else if (filter.rating !== undefined) {
    add('rating', 'rating = @rating');
    params.rating = filter.rating;
  }
  if (filter.tag !== undefined) {
    add('tag', 'id IN (SELECT scene_id FROM scene_tags WHERE character_id = @characterId AND tag = @tag)');
    params.tag = filter.tag;
  }
  if (filter.kind !== undefined) add('kind', KIND_SQL[filter.kind]);
  const match = filter.search === undefined ? null : matchExpression(filter.search);
  if (match !== null) {
    add('search', 'rowid IN (SELECT rowid FROM scene_search WHERE scene_search MATCH @search)');
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
    add(field, sql);
    params[field] = value;
  }
  return { conditions, params };
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
