-- A job's progress figures live on its row, kept by the triggers below inside whatever transaction
-- writes an item or a scene (a job's group commit, a scene deleted in review, a cascade), so a
-- progress event, the jobs list, a reload or another door read one row, never a count over items
-- or scenes, and a change made beside a running job shows at once.

-- Items by stage and status: {"<stage>": {"pending": n, "done": n, "failed": n}}, a status absent
-- when none ever had it (read as 0).
ALTER TABLE jobs ADD COLUMN item_counts TEXT NOT NULL DEFAULT '{}';

-- What a generation job answers for (store/job-figures.ts `JobScope`): the character's scenes the
-- job made, or made before the job was created by anyone else (later runs' scenes are theirs),
-- normal and protective, and how many of each have their experience. Zero for other kinds.
ALTER TABLE jobs ADD COLUMN scope_scenes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN scope_experiences INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN scope_protective INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN scope_protective_experiences INTEGER NOT NULL DEFAULT 0;

UPDATE jobs SET item_counts = coalesce((
  SELECT json_group_object(stage, json(counts)) FROM (
    SELECT stage, json_group_object(status, n) AS counts FROM (
      SELECT stage, status, count(*) AS n FROM job_items WHERE job_id = jobs.id GROUP BY stage, status
    ) GROUP BY stage
  )), '{}');

UPDATE jobs SET (scope_scenes, scope_experiences, scope_protective, scope_protective_experiences) = (
  SELECT coalesce(sum(protective = 0), 0), coalesce(sum(protective = 0 AND has_experience != 0), 0),
    coalesce(sum(protective != 0), 0), coalesce(sum(protective != 0 AND has_experience != 0), 0)
  FROM scenes s WHERE s.character_id = jobs.character_id
    AND (s.job_id = jobs.id OR (s.created_at < jobs.created_at AND s.job_id IS NOT jobs.id))
) WHERE kind = 'generation';

CREATE TRIGGER job_items_counted_insert AFTER INSERT ON job_items BEGIN
  UPDATE jobs SET item_counts = json_set(item_counts, '$."' || NEW.stage || '"."' || NEW.status || '"',
      coalesce(json_extract(item_counts, '$."' || NEW.stage || '"."' || NEW.status || '"'), 0) + 1)
    WHERE id = NEW.job_id;
END;

CREATE TRIGGER job_items_counted_update AFTER UPDATE OF stage, status ON job_items
  WHEN OLD.stage IS NOT NEW.stage OR OLD.status IS NOT NEW.status BEGIN
  UPDATE jobs SET item_counts = json_set(
      json_set(item_counts, '$."' || OLD.stage || '"."' || OLD.status || '"',
        coalesce(json_extract(item_counts, '$."' || OLD.stage || '"."' || OLD.status || '"'), 0) - 1),
      '$."' || NEW.stage || '"."' || NEW.status || '"',
      coalesce(json_extract(item_counts, '$."' || NEW.stage || '"."' || NEW.status || '"'), 0) + 1)
    WHERE id = NEW.job_id;
END;

CREATE TRIGGER job_items_counted_delete AFTER DELETE ON job_items BEGIN
  UPDATE jobs SET item_counts = json_set(item_counts, '$."' || OLD.stage || '"."' || OLD.status || '"',
      coalesce(json_extract(item_counts, '$."' || OLD.stage || '"."' || OLD.status || '"'), 0) - 1)
    WHERE id = OLD.job_id;
END;

-- A scene counts for the generation jobs whose scope holds it. Neither its character nor its
-- creation time ever changes; its job_id only becomes NULL when that job is deleted, which moves
-- it into or out of no other job's scope, so those columns need no trigger.
CREATE TRIGGER scenes_scope_insert AFTER INSERT ON scenes BEGIN
  UPDATE jobs SET scope_scenes = scope_scenes + (NEW.protective = 0),
      scope_experiences = scope_experiences + (NEW.protective = 0 AND NEW.has_experience != 0),
      scope_protective = scope_protective + (NEW.protective != 0),
      scope_protective_experiences = scope_protective_experiences + (NEW.protective != 0 AND NEW.has_experience != 0)
    WHERE character_id = NEW.character_id AND kind = 'generation'
      AND (id = NEW.job_id OR (created_at > NEW.created_at AND id IS NOT NEW.job_id));
END;

CREATE TRIGGER scenes_scope_delete AFTER DELETE ON scenes BEGIN
  UPDATE jobs SET scope_scenes = scope_scenes - (OLD.protective = 0),
      scope_experiences = scope_experiences - (OLD.protective = 0 AND OLD.has_experience != 0),
      scope_protective = scope_protective - (OLD.protective != 0),
      scope_protective_experiences = scope_protective_experiences - (OLD.protective != 0 AND OLD.has_experience != 0)
    WHERE character_id = OLD.character_id AND kind = 'generation'
      AND (id = OLD.job_id OR (created_at > OLD.created_at AND id IS NOT OLD.job_id));
END;

CREATE TRIGGER scenes_scope_update AFTER UPDATE OF protective, has_experience ON scenes
  WHEN OLD.protective IS NOT NEW.protective OR OLD.has_experience IS NOT NEW.has_experience BEGIN
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

-- A new generation job starts with the scenes that exist when it is created (one indexed count).
CREATE TRIGGER jobs_scope_insert AFTER INSERT ON jobs WHEN NEW.kind = 'generation' BEGIN
  UPDATE jobs SET (scope_scenes, scope_experiences, scope_protective, scope_protective_experiences) = (
    SELECT coalesce(sum(protective = 0), 0), coalesce(sum(protective = 0 AND has_experience != 0), 0),
      coalesce(sum(protective != 0), 0), coalesce(sum(protective != 0 AND has_experience != 0), 0)
    FROM scenes s WHERE s.character_id = NEW.character_id
      AND (s.job_id = NEW.id OR (s.created_at < NEW.created_at AND s.job_id IS NOT NEW.id))
  ) WHERE id = NEW.id;
END;
