-- Prefix indexes for the dataset browser's search (store/scene-search-plan.ts): the word being
-- typed is a prefix query, and without an index of its length FTS5 merges the doclists of every
-- term the prefix begins before it returns a row ("t"*, or "11"* in "turn 11": every number that
-- starts so) — tens to hundreds of ms at 100,000 scenes, for the first page alone. With them, a
-- prefix of 1 to 3 characters is one doclist, read as lazily as a word's. Longer prefixes begin
-- few terms and are expanded through the vocabulary instead. The index grows by about the size of
-- its doclists per length (at 100,000 scenes ~60 MiB each, beside ~390 MiB of stored text), and
-- rebuilding it here takes ~10 s of CPU at that size (a fraction of a second at the paper's 1,600).
--
-- FTS5 takes `prefix` only when the table is created, so the table is made again under the same
-- name from its own stored text (the scenes' triggers of migration 012 write to it by name, and
-- so keep working); the rowids stay the scenes' rowids.
CREATE TEMP TABLE scene_search_text AS
  SELECT rowid AS scene_rowid, type, location, time, background, people, experience FROM scene_search;

DROP TABLE scene_search;

CREATE VIRTUAL TABLE scene_search USING fts5(
  type, location, time, background, people, experience,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '1 2 3'
);

INSERT INTO scene_search (rowid, type, location, time, background, people, experience)
SELECT scene_rowid, type, location, time, background, people, experience FROM temp.scene_search_text;

DROP TABLE temp.scene_search_text;
