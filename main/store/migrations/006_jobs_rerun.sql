-- Jobs that survive outages and re-runs.
--
-- Every provider call is on record before it is sent: a row starts `in_flight` and the answer (or
-- the error) completes it as `done`. A row still in flight when the studio starts again belongs to
-- a process that died mid-call: it becomes `interrupted`, its cost unknown but counted.
ALTER TABLE llm_calls ADD COLUMN status TEXT NOT NULL DEFAULT 'done'
  CHECK (status IN ('in_flight', 'done', 'interrupted'));
CREATE INDEX llm_calls_open ON llm_calls (status) WHERE status != 'done';

-- The settings a character's last generation run used (JSON `GenerationSettings` without the
-- provider), so the form of every door opens with them.
CREATE TABLE generation_preferences (
  character_id TEXT PRIMARY KEY REFERENCES characters (id) ON DELETE CASCADE,
  settings TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Studio-wide preferences: one JSON value per key (e.g. the cost above which a run asks first).
CREATE TABLE preferences (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
