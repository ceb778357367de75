-- A scene and its experience are written without going over them twice.
--
-- `scene_speakers` (a scene's speakers, whatever the kind of their turns: the speaker filter) now
-- follows `experience_speakers` (the same turns counted by speaker and kind, which every writer
-- already stores): the triggers that keep the character's totals keep it too. The experience's
-- trigger no longer reads every turn of the JSON again to count them.
--
-- The model of the call that wrote a scene is written with the scene's row, and with its
-- experience's figures (scene-figures.ts), by the one statement that writes each: an UPDATE of the
-- row after it rewrote the row and its model's index entries a second time. The insert trigger
-- stays for writers that leave the model out.
DROP TRIGGER scene_speakers_added;
CREATE TRIGGER scene_speakers_added AFTER INSERT ON experience_speakers BEGIN
  INSERT INTO character_speakers (character_id, speaker, kind, turns, words)
  VALUES (NEW.character_id, NEW.speaker, NEW.kind, NEW.turns, NEW.words)
  ON CONFLICT (character_id, speaker, kind) DO UPDATE SET turns = turns + excluded.turns, words = words + excluded.words;
  INSERT INTO scene_speakers (scene_id, character_id, speaker, turns)
  SELECT NEW.scene_id, NEW.character_id, NEW.speaker, NEW.turns WHERE NEW.speaker != ''
  ON CONFLICT (scene_id, speaker) DO UPDATE SET turns = turns + excluded.turns;
END;

DROP TRIGGER scene_speakers_removed;
CREATE TRIGGER scene_speakers_removed AFTER DELETE ON experience_speakers BEGIN
  UPDATE character_speakers SET turns = turns - OLD.turns, words = words - OLD.words
  WHERE character_id = OLD.character_id AND speaker = OLD.speaker AND kind = OLD.kind;
  DELETE FROM character_speakers
  WHERE character_id = OLD.character_id AND speaker = OLD.speaker AND kind = OLD.kind AND turns <= 0;
  UPDATE scene_speakers SET turns = turns - OLD.turns WHERE scene_id = OLD.scene_id AND speaker = OLD.speaker;
  DELETE FROM scene_speakers WHERE scene_id = OLD.scene_id AND speaker = OLD.speaker AND turns <= 0;
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
END;

DROP TRIGGER scenes_model_insert;
CREATE TRIGGER scenes_model_insert AFTER INSERT ON scenes WHEN NEW.call_id IS NOT NULL AND NEW.model IS NULL BEGIN
  UPDATE scenes SET model = (SELECT model FROM llm_calls WHERE id = NEW.call_id ORDER BY attempt DESC LIMIT 1)
  WHERE rowid = NEW.rowid;
END;

-- Counted again from the speakers' rows, so the two agree from here on (the old trigger trimmed
-- speakers as SQL does, the writers as JavaScript does: they differed only for other white space).
DELETE FROM scene_speakers;
INSERT INTO scene_speakers (scene_id, character_id, speaker, turns)
SELECT scene_id, character_id, speaker, sum(turns) FROM experience_speakers WHERE speaker != ''
GROUP BY scene_id, speaker;
