-- A generation job's search rows are written in bulk after its writes (search-deferral.ts), not
-- one by one inside them: FTS5 writes what a transaction or savepoint indexed as a new segment,
-- and a segment per two or three rows cost much more than the rows themselves.
--
-- While a transaction holds the row of `search_deferral` (a group commit inserts it first and
-- deletes it before it commits, so no committed state has it), the triggers below note the scenes
-- whose search row must be (re)written in `search_pending` instead of indexing them; the notes
-- commit with the writes, and every search writes the noted rows before it reads the index. Every
-- other write indexes at once, as before. Scenes of an import that is still copying are left to
-- the import, as the earlier triggers left them (migration 028).
CREATE TABLE search_deferral (id INTEGER PRIMARY KEY CHECK (id = 1));
CREATE TABLE search_pending (scene_rowid INTEGER PRIMARY KEY);

DROP TRIGGER scenes_search_insert;
CREATE TRIGGER scenes_search_insert AFTER INSERT ON scenes
  WHEN (NEW.import_id IS NULL OR NOT EXISTS (SELECT 1 FROM dataset_imports WHERE id = NEW.import_id AND copying = 1))
    AND NOT EXISTS (SELECT 1 FROM search_deferral)
BEGIN
  INSERT INTO scene_search (rowid, type, location, time, background, people, experience)
  VALUES (NEW.rowid, NEW.type, NEW.location, NEW.time, NEW.background,
    (SELECT coalesce(group_concat(value, ', '), '') FROM json_each(NEW.people)), '');
END;

CREATE TRIGGER scenes_search_insert_deferred AFTER INSERT ON scenes
  WHEN (NEW.import_id IS NULL OR NOT EXISTS (SELECT 1 FROM dataset_imports WHERE id = NEW.import_id AND copying = 1))
    AND EXISTS (SELECT 1 FROM search_deferral)
BEGIN
  INSERT OR IGNORE INTO search_pending (scene_rowid) VALUES (NEW.rowid);
END;

DROP TRIGGER scenes_search_update;
CREATE TRIGGER scenes_search_update AFTER UPDATE OF type, location, time, background, people ON scenes
  WHEN NOT EXISTS (SELECT 1 FROM search_deferral)
BEGIN
  UPDATE scene_search SET type = NEW.type, location = NEW.location, time = NEW.time, background = NEW.background,
    people = (SELECT coalesce(group_concat(value, ', '), '') FROM json_each(NEW.people))
  WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER scenes_search_update_deferred AFTER UPDATE OF type, location, time, background, people ON scenes
  WHEN EXISTS (SELECT 1 FROM search_deferral)
BEGIN
  INSERT OR IGNORE INTO search_pending (scene_rowid) VALUES (NEW.rowid);
END;

DROP TRIGGER scenes_search_delete;
CREATE TRIGGER scenes_search_delete AFTER DELETE ON scenes BEGIN
  DELETE FROM scene_search WHERE rowid = OLD.rowid;
  DELETE FROM search_pending WHERE scene_rowid = OLD.rowid;
END;

DROP TRIGGER experience_written_index;
CREATE TRIGGER experience_written_index INSTEAD OF INSERT ON experience_written BEGIN
  UPDATE scene_search SET experience = NEW.background || char(10) ||
      (SELECT coalesce(group_concat(json_extract(value, '$.text'), char(10)), '') FROM json_each(NEW.turns))
  WHERE rowid = (SELECT rowid FROM scenes WHERE id = NEW.scene_id)
    AND NOT EXISTS (SELECT 1 FROM search_deferral)
    AND NOT EXISTS (SELECT 1 FROM scenes s JOIN dataset_imports i ON i.id = s.import_id
      WHERE s.id = NEW.scene_id AND i.copying = 1);
  INSERT OR IGNORE INTO search_pending (scene_rowid)
  SELECT s.rowid FROM scenes s WHERE s.id = NEW.scene_id AND EXISTS (SELECT 1 FROM search_deferral)
    AND (s.import_id IS NULL OR NOT EXISTS (SELECT 1 FROM dataset_imports i WHERE i.id = s.import_id AND i.copying = 1));
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

DROP TRIGGER experiences_search_delete;
CREATE TRIGGER experiences_search_delete AFTER DELETE ON experiences BEGIN
  UPDATE scene_search SET experience = '' WHERE rowid = (SELECT rowid FROM scenes WHERE id = OLD.scene_id)
    AND NOT EXISTS (SELECT 1 FROM search_deferral);
  INSERT OR IGNORE INTO search_pending (scene_rowid)
  SELECT rowid FROM scenes WHERE id = OLD.scene_id AND EXISTS (SELECT 1 FROM search_deferral);
  DELETE FROM scene_speakers WHERE scene_id = OLD.scene_id;
END;
