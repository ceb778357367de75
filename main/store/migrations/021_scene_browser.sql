-- The browser's oldest and newest first are the order scenes were added in, their rowid (each
-- scene is stamped `created_at` as it is inserted, so it is also the creation order). An index on
-- the character alone ends in the rowid, so a character's page in that order is one range of it;
-- a search reads its FTS5 index in the same rowid order and stops at the page's end
-- (store/scene-search-plan.ts).
CREATE INDEX scenes_by_added ON scenes (character_id);

-- The browser's filter counts are one grouped pass over a character's scenes (store/filter-counts.ts):
-- grouped by these columns in this order, the pass reads this index alone, once, with no sort; the
-- speaker counts find each scene's id here too.
CREATE INDEX scenes_by_facets ON scenes (character_id, origin, protective, review_status, rating, chunk_id,
  prompt_version, model, problem_count, has_experience, turn_count, id);
