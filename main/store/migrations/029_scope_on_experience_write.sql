-- Jobs' scope counts of experiences (migration 022) follow a scene's experience as it is inserted
-- and deleted, instead of a trigger on `UPDATE OF has_experience` of scenes. Any trigger on that
-- UPDATE, even one that does nothing, cost each experience write ~50 µs more than the same UPDATE
-- without it (measured: ~15 µs against ~65–80 µs; the column is in eight indexes): a quarter of
-- what storing an experience's figures costs a generation job. The counts are the same: a scene's
-- experience is counted when its row is inserted while the scene has none yet (`has_experience`
-- is 0 until `writeExperience` stores the figures, in the same transaction; a copying import
-- inserts scenes that already say 1, counted by `scenes_scope_insert`), and uncounted just before
-- `experiences_figures_reset` sets it back to 0 (as the old trigger did on that change; when the
-- scene itself is being deleted it is gone by then and `scenes_scope_delete` uncounts it).

DROP TRIGGER scenes_scope_update;
CREATE TRIGGER scenes_scope_update AFTER UPDATE OF protective ON scenes
  WHEN OLD.protective IS NOT NEW.protective BEGIN
  UPDATE jobs SET
      scope_scenes = scope_scenes - (OLD.protective = 0) + (NEW.protective = 0),
      scope_experiences = scope_experiences - (OLD.protective = 0 AND OLD.has_experience != 0)
        + (NEW.protective = 0 AND NEW.has_experience != 0),
      scope_protective = scope_protective - (OLD.protective != 0) + (NEW.protective != 0),
      scope_protective_experiences = scope_protective_experiences - (OLD.protective != 0 AND OLD.has_experience != 0)
        + (NEW.protective != 0 AND NEW.has_experience != 0)
    WHERE character_id = NEW.character_id AND kind = 'generation'
      AND (id = NEW.job_id OR (created_at > NEW.created_at AND id IS NOT NEW.job_id));
END;

CREATE TRIGGER experiences_scope_insert AFTER INSERT ON experiences BEGIN
  UPDATE jobs SET
      scope_experiences = scope_experiences + (s.protective = 0),
      scope_protective_experiences = scope_protective_experiences + (s.protective != 0)
    FROM (SELECT character_id, protective, job_id, created_at FROM scenes
          WHERE id = NEW.scene_id AND has_experience = 0) AS s
    WHERE jobs.character_id = s.character_id AND jobs.kind = 'generation'
      AND (jobs.id = s.job_id OR (jobs.created_at > s.created_at AND jobs.id IS NOT s.job_id));
END;

DROP TRIGGER experiences_figures_reset;
CREATE TRIGGER experiences_figures_reset AFTER DELETE ON experiences BEGIN
  UPDATE jobs SET
      scope_experiences = scope_experiences - (s.protective = 0),
      scope_protective_experiences = scope_protective_experiences - (s.protective != 0)
    FROM (SELECT character_id, protective, job_id, created_at FROM scenes
          WHERE id = OLD.scene_id AND has_experience != 0) AS s
    WHERE jobs.character_id = s.character_id AND jobs.kind = 'generation'
      AND (jobs.id = s.job_id OR (jobs.created_at > s.created_at AND jobs.id IS NOT s.job_id));
  UPDATE scenes SET has_experience = 0, turn_count = 0, word_count = 0, train_chars = 0, problem_count = 0,
    other_thinking = 0
  WHERE id = OLD.scene_id;
END;
