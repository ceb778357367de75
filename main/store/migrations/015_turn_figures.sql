-- Figures of each experience's turns, kept on write (turn-figures.ts) so the Dataset tab's charts
-- (speakers, thinking versus speaking, words per turn) are aggregates over an index, never a parse
-- of every experience. Rows go with their experience (ON DELETE CASCADE); existing experiences are
-- counted by the migration's backfill, after this SQL.

-- Turns and words of one experience by speaker (trimmed, as written) and kind.
CREATE TABLE experience_speakers (
  scene_id TEXT NOT NULL REFERENCES experiences (scene_id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  speaker TEXT NOT NULL,
  kind TEXT NOT NULL,
  turns INTEGER NOT NULL,
  words INTEGER NOT NULL,
  PRIMARY KEY (scene_id, speaker, kind)
) WITHOUT ROWID;

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

-- The same figures summed per character, kept by the triggers below on every write and delete
-- (cascades included), so the charts read a few rows instead of one per experience. A speaker is
-- one name whatever its (ASCII) case; the spelling kept is the first one written.
CREATE TABLE character_speakers (
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  speaker TEXT NOT NULL COLLATE NOCASE,
  kind TEXT NOT NULL,
  turns INTEGER NOT NULL,
  words INTEGER NOT NULL,
  PRIMARY KEY (character_id, speaker, kind)
) WITHOUT ROWID;
CREATE TABLE character_turn_lengths (
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  bucket INTEGER NOT NULL,
  turns INTEGER NOT NULL,
  PRIMARY KEY (character_id, bucket)
) WITHOUT ROWID;

CREATE TRIGGER scene_speakers_added AFTER INSERT ON experience_speakers BEGIN
  INSERT INTO character_speakers (character_id, speaker, kind, turns, words)
  VALUES (NEW.character_id, NEW.speaker, NEW.kind, NEW.turns, NEW.words)
  ON CONFLICT (character_id, speaker, kind) DO UPDATE SET turns = turns + excluded.turns, words = words + excluded.words;
END;
CREATE TRIGGER scene_speakers_removed AFTER DELETE ON experience_speakers BEGIN
  UPDATE character_speakers SET turns = turns - OLD.turns, words = words - OLD.words
  WHERE character_id = OLD.character_id AND speaker = OLD.speaker AND kind = OLD.kind;
  DELETE FROM character_speakers
  WHERE character_id = OLD.character_id AND speaker = OLD.speaker AND kind = OLD.kind AND turns <= 0;
END;
CREATE TRIGGER scene_turn_lengths_added AFTER INSERT ON scene_turn_lengths BEGIN
  INSERT INTO character_turn_lengths (character_id, bucket, turns) VALUES (NEW.character_id, NEW.bucket, NEW.turns)
  ON CONFLICT (character_id, bucket) DO UPDATE SET turns = turns + excluded.turns;
END;
CREATE TRIGGER scene_turn_lengths_removed AFTER DELETE ON scene_turn_lengths BEGIN
  UPDATE character_turn_lengths SET turns = turns - OLD.turns WHERE character_id = OLD.character_id AND bucket = OLD.bucket;
  DELETE FROM character_turn_lengths WHERE character_id = OLD.character_id AND bucket = OLD.bucket AND turns <= 0;
END;

-- Coverage of the life (scenes per profile chunk) reads this range per character; it also spares
-- deleting a chunk a scan of every scene (its ON DELETE SET NULL).
CREATE INDEX scenes_chunk ON scenes (chunk_id, protective, has_experience);
