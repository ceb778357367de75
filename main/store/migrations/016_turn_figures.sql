-- Figures of each experience's turns, kept on write (turn-figures.ts) so the Dataset tab's charts
-- (speakers, thinking versus speaking, words per turn) are aggregates over an index, never a parse
-- of every experience. Rows go with their experience (ON DELETE CASCADE); existing experiences are
-- counted by the migration's backfill, after this SQL.

-- Turns and words of one experience by speaker (trimmed, as written) and kind.
CREATE TABLE scene_speakers (
  scene_id TEXT NOT NULL REFERENCES experiences (scene_id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  speaker TEXT NOT NULL,
  kind TEXT NOT NULL,
  turns INTEGER NOT NULL,
  words INTEGER NOT NULL,
  PRIMARY KEY (scene_id, speaker, kind)
) WITHOUT ROWID;
-- Covering, in the order the charts group by: speakers are one name whatever its case.
CREATE INDEX scene_speakers_character ON scene_speakers (character_id, speaker COLLATE NOCASE, kind, turns, words);

-- Turns of one experience by words per turn, in the fixed buckets of WORDS_PER_TURN_EDGES
-- (turn-figures.ts): bucket 0 holds empty turns, bucket i turns of at least edge i-1 words.
-- Changing the edges needs a migration that recounts these rows.
CREATE TABLE scene_turn_lengths (
  scene_id TEXT NOT NULL REFERENCES experiences (scene_id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  turns INTEGER NOT NULL,
  PRIMARY KEY (scene_id, bucket)
) WITHOUT ROWID;
CREATE INDEX scene_turn_lengths_character ON scene_turn_lengths (character_id, bucket, turns);

-- Coverage of the life (scenes per profile chunk) reads this range per character; it also spares
-- deleting a chunk a scan of every scene (its ON DELETE SET NULL).
CREATE INDEX scenes_chunk ON scenes (chunk_id, protective, has_experience);
