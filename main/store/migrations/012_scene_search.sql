-- The dataset browser (issue 10, point 5): full-text search over scenes, speakers per scene, and
-- indexes that let every sort of the list page by a keyset instead of OFFSET.

-- One row per scene, its rowid the scene's rowid: the scene's fields, and its experience (the
-- experience's background and every turn's text) once it has one. Kept right by the triggers
-- below whoever writes (a job, the editor, a restore, a delete), and filled for existing scenes at
-- the end of this file. A VACUUM may renumber the rowids of `scenes` (it has no INTEGER PRIMARY
-- KEY); the studio never runs one. `unicode61 remove_diacritics 2` matches words whatever their
-- case and accents; common/search-query.ts reads a person's query the same way.
CREATE VIRTUAL TABLE scene_search USING fts5(
  type, location, time, background, people, experience,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- Who speaks in a scene's experience and in how many turns, written with the experience: the
-- speaker filter and its counts read this instead of parsing experiences.
CREATE TABLE scene_speakers (
  scene_id TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  speaker TEXT NOT NULL,
  turns INTEGER NOT NULL,
  PRIMARY KEY (scene_id, speaker)
) WITHOUT ROWID;
CREATE INDEX scene_speakers_character ON scene_speakers (character_id, speaker, scene_id);

-- The model of the LLM call that wrote the scene: its experience's call once it has one, else the
-- scene's own; NULL for scenes no call wrote (by hand). Kept on write for the model filter and its
-- counts. A call is on record (llm_calls) before its answer is stored, so the model is known here.
ALTER TABLE scenes ADD COLUMN model TEXT;
CREATE INDEX scenes_by_model ON scenes (character_id, model);

CREATE TRIGGER scenes_search_insert AFTER INSERT ON scenes BEGIN
  INSERT INTO scene_search (rowid, type, location, time, background, people, experience)
  VALUES (NEW.rowid, NEW.type, NEW.location, NEW.time, NEW.background,
    (SELECT coalesce(group_concat(value, ', '), '') FROM json_each(NEW.people)), '');
END;

CREATE TRIGGER scenes_search_update AFTER UPDATE OF type, location, time, background, people ON scenes BEGIN
  UPDATE scene_search SET type = NEW.type, location = NEW.location, time = NEW.time, background = NEW.background,
    people = (SELECT coalesce(group_concat(value, ', '), '') FROM json_each(NEW.people))
  WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER scenes_search_delete AFTER DELETE ON scenes BEGIN
  DELETE FROM scene_search WHERE rowid = OLD.rowid;
END;

-- An experience written or replaced (generation jobs insert, the editor and restores upsert) is read
-- again into the index, the speakers and the model in one place: both triggers insert into this
-- view, which holds no rows; its INSTEAD OF trigger does the work.
CREATE VIEW experience_written (scene_id, background, turns, call_id) AS SELECT NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER experience_written_index INSTEAD OF INSERT ON experience_written BEGIN
  UPDATE scene_search SET experience = NEW.background || char(10) ||
      (SELECT coalesce(group_concat(json_extract(value, '$.text'), char(10)), '') FROM json_each(NEW.turns))
  WHERE rowid = (SELECT rowid FROM scenes WHERE id = NEW.scene_id);
  DELETE FROM scene_speakers WHERE scene_id = NEW.scene_id;
  INSERT INTO scene_speakers (scene_id, character_id, speaker, turns)
  SELECT NEW.scene_id, s.character_id, trim(json_extract(t.value, '$.speaker')), count(*)
  FROM json_each(NEW.turns) t JOIN scenes s ON s.id = NEW.scene_id
  WHERE trim(json_extract(t.value, '$.speaker')) != ''
  GROUP BY trim(json_extract(t.value, '$.speaker'));
  -- Written without a call (by a person): the scene keeps the model it had.
  UPDATE scenes SET model = coalesce((SELECT model FROM llm_calls WHERE id = NEW.call_id ORDER BY attempt DESC LIMIT 1), model)
  WHERE id = NEW.scene_id;
END;

CREATE TRIGGER experiences_search_insert AFTER INSERT ON experiences BEGIN
  INSERT INTO experience_written VALUES (NEW.scene_id, NEW.background, NEW.turns, NEW.call_id);
END;

CREATE TRIGGER experiences_search_update AFTER UPDATE OF background, turns, call_id ON experiences BEGIN
  INSERT INTO experience_written VALUES (NEW.scene_id, NEW.background, NEW.turns, NEW.call_id);
END;

CREATE TRIGGER experiences_search_delete AFTER DELETE ON experiences BEGIN
  UPDATE scene_search SET experience = '' WHERE rowid = (SELECT rowid FROM scenes WHERE id = OLD.scene_id);
  DELETE FROM scene_speakers WHERE scene_id = OLD.scene_id;
END;

CREATE TRIGGER scenes_model_insert AFTER INSERT ON scenes WHEN NEW.call_id IS NOT NULL BEGIN
  UPDATE scenes SET model = (SELECT model FROM llm_calls WHERE id = NEW.call_id ORDER BY attempt DESC LIMIT 1)
  WHERE rowid = NEW.rowid;
END;

UPDATE scenes SET model = (SELECT c.model FROM llm_calls c
  WHERE c.id = coalesce((SELECT call_id FROM experiences WHERE scene_id = scenes.id), scenes.call_id)
  ORDER BY c.attempt DESC LIMIT 1);

-- Keyset sorts (store/scene-browser-repo.ts): each index is (character, sort key) and so ends in the rowid,
-- the tie-break, and a page is one range of it. Newest and oldest read the first.
CREATE INDEX scenes_by_created ON scenes (character_id, created_at);
CREATE INDEX scenes_by_turns ON scenes (character_id, turn_count);
CREATE INDEX scenes_by_words ON scenes (character_id, word_count);
CREATE INDEX scenes_by_rating ON scenes (character_id, coalesce(rating, 0));

-- Existing scenes and experiences.
INSERT INTO scene_search (rowid, type, location, time, background, people, experience)
SELECT s.rowid, s.type, s.location, s.time, s.background,
  (SELECT coalesce(group_concat(value, ', '), '') FROM json_each(s.people)),
  coalesce(e.background || char(10) ||
    (SELECT coalesce(group_concat(json_extract(value, '$.text'), char(10)), '') FROM json_each(e.turns)), '')
FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id;

INSERT INTO scene_speakers (scene_id, character_id, speaker, turns)
SELECT e.scene_id, s.character_id, trim(json_extract(t.value, '$.speaker')), count(*)
FROM experiences e JOIN scenes s ON s.id = e.scene_id, json_each(e.turns) t
WHERE trim(json_extract(t.value, '$.speaker')) != ''
GROUP BY e.scene_id, trim(json_extract(t.value, '$.speaker'));
