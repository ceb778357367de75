-- An import's copy writes each scene's search row once, whole (store/dataset-import-repo.ts), instead
-- of the triggers of migration 012 writing it twice: the scene's insert indexed its fields, and its
-- experience's insert then replaced the row (FTS5 deletes and indexes it again). FTS5 keeps what a
-- transaction indexes in memory only while rowids go up; writing a rowid again made it flush a
-- segment there and then, so every step of 8 scenes wrote two segments, a slice of the copy ten
-- or more, and their merges filled the slices' commits (30–40 ms at 100,000 scenes).
--
-- While an import is `copying` (migration 024) its scenes are left out of both triggers; its copy
-- indexes them itself, with the same text the triggers make. Any other write (a job, the editor, a
-- restore, an import's scenes once it is whole) is indexed as before. The test is one key lookup.

DROP TRIGGER scenes_search_insert;
CREATE TRIGGER scenes_search_insert AFTER INSERT ON scenes
  WHEN NEW.import_id IS NULL OR NOT EXISTS (SELECT 1 FROM dataset_imports WHERE id = NEW.import_id AND copying = 1)
BEGIN
  INSERT INTO scene_search (rowid, type, location, time, background, people, experience)
  VALUES (NEW.rowid, NEW.type, NEW.location, NEW.time, NEW.background,
    (SELECT coalesce(group_concat(value, ', '), '') FROM json_each(NEW.people)), '');
END;

DROP TRIGGER experience_written_index;
CREATE TRIGGER experience_written_index INSTEAD OF INSERT ON experience_written BEGIN
  UPDATE scene_search SET experience = NEW.background || char(10) ||
      (SELECT coalesce(group_concat(json_extract(value, '$.text'), char(10)), '') FROM json_each(NEW.turns))
  WHERE rowid = (SELECT rowid FROM scenes WHERE id = NEW.scene_id)
    AND NOT EXISTS (SELECT 1 FROM scenes s JOIN dataset_imports i ON i.id = s.import_id
      WHERE s.id = NEW.scene_id AND i.copying = 1);
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
