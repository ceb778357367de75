-- A scene's `model` (the model of the LLM call that last wrote it, migration 012) is written with
-- the row instead of by a second UPDATE of it. Each UPDATE of `scenes` rewrites the whole row and
-- moved the scene's entry in `scenes_by_model`; a generated scene paid two of them (one after its
-- INSERT, one with its experience, which nearly always came from the same model), ~6% of the
-- pages a generation job writes per item. The values stored are the same:
-- - `DatasetRepo.insertScene` gives the model of the scene's call in the INSERT; the trigger after
--   the insert still sets it for a writer that gives none (the same lookup, so NULL stays NULL).
-- - An experience's call sets the scene's model only when that differs from the one stored
--   (coalesce kept: an experience written without a call, by a person, leaves it as it was).

DROP TRIGGER scenes_model_insert;
CREATE TRIGGER scenes_model_insert AFTER INSERT ON scenes WHEN NEW.call_id IS NOT NULL AND NEW.model IS NULL BEGIN
  UPDATE scenes SET model = (SELECT model FROM llm_calls WHERE id = NEW.call_id ORDER BY attempt DESC LIMIT 1)
  WHERE rowid = NEW.rowid;
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
  -- Written without a call (by a person), or by the model the scene names already: no rewrite.
  UPDATE scenes SET model = c.model
  FROM (SELECT model FROM llm_calls WHERE id = NEW.call_id ORDER BY attempt DESC LIMIT 1) AS c
  WHERE scenes.id = NEW.scene_id AND c.model IS NOT NULL AND scenes.model IS NOT c.model;
END;
