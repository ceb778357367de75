-- Two costs a generation job paid per item.
--
-- 1. A scene's `model` (the model of the LLM call that last wrote it, migration 012) is written with
-- the row instead of by a second UPDATE of it. Each UPDATE of `scenes` rewrites the whole row and
-- moved the scene's entry in `scenes_by_model`; a generated scene paid two of them (one after its
-- INSERT, one with its experience, which nearly always came from the same model) to store what
-- was known when it was inserted. The values stored are the same:
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

-- 2. Every progress event of a job (a few a second while it runs) counts its notes, lists its recent
-- failures and counts its interrupted calls: each walked all of the job's items or calls (~0.1–0.3
-- ms each at 200 items, and growing with the job). These indexes hold only the rare rows asked
-- for, so writing an item or a call without an error costs them nothing.
CREATE INDEX job_items_errors ON job_items (job_id, updated_at) WHERE error IS NOT NULL;
CREATE INDEX llm_calls_interrupted ON llm_calls (job_id) WHERE status = 'interrupted';
