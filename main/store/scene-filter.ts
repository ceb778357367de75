import type { CharacterId, SceneFilter } from '../../common/contract';

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
  const parts = ['character_id = @characterId'];
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
  return { sql: parts.join(' AND '), params };
}

/** `filter` without `key`: what a facet's counts are taken under. */
export function without<K extends keyof SceneFilter>(filter: SceneFilter, key: K): SceneFilter {
  const { [key]: _left, ...rest } = filter;
  return rest;
}
