-- Figures stored with each scene when its experience is written, so statistics, the training
-- estimate and job progress are aggregates over an index instead of a parse of every experience.
-- All are 0 while the scene has no experience; deleting an experience resets them (trigger below).
-- Existing experiences are counted by the migration's backfill (scene-figures.ts), after this SQL.
ALTER TABLE scenes ADD COLUMN has_experience INTEGER NOT NULL DEFAULT 0;
-- Turns of the experience, and their words (whitespace-separated).
ALTER TABLE scenes ADD COLUMN turn_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scenes ADD COLUMN word_count INTEGER NOT NULL DEFAULT 0;
-- Characters of the scene as a training example (about 4 a token; see trainingChars).
ALTER TABLE scenes ADD COLUMN train_chars INTEGER NOT NULL DEFAULT 0;
-- Format problems on the experience, and its thinking turns by someone other than the character
-- (the training export leaves those out; recounted when the character's names change).
ALTER TABLE scenes ADD COLUMN problem_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scenes ADD COLUMN other_thinking INTEGER NOT NULL DEFAULT 0;

UPDATE scenes SET has_experience = 1 WHERE id IN (SELECT scene_id FROM experiences);

-- Covering indexes: the statistics and the estimate read only the first, job progress the others.
CREATE INDEX scenes_figures ON scenes (character_id, protective, has_experience, turn_count, word_count, train_chars,
  problem_count, other_thinking);
CREATE INDEX scenes_scope ON scenes (character_id, created_at, protective, has_experience, job_id);
DROP INDEX scenes_job;
CREATE INDEX scenes_job ON scenes (job_id, protective, has_experience);

-- An experience's format problems counted by code, for the statistics' breakdown.
CREATE TABLE scene_problem_counts (
  scene_id TEXT NOT NULL REFERENCES experiences (scene_id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  code TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (scene_id, code)
) WITHOUT ROWID;
CREATE INDEX scene_problem_counts_character ON scene_problem_counts (character_id, code, count);

CREATE TRIGGER experiences_figures_reset AFTER DELETE ON experiences BEGIN
  UPDATE scenes SET has_experience = 0, turn_count = 0, word_count = 0, train_chars = 0, problem_count = 0,
    other_thinking = 0
  WHERE id = OLD.scene_id;
END;
