-- Training runs ("experience upload"): one row per run, its loss curve, and where it trains.
-- The run folder's events.jsonl stays the trainer's own record; these rows are the studio's view.

CREATE TABLE training_runs (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'stopping', 'stopped', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  target TEXT NOT NULL,
  config TEXT NOT NULL,
  run_dir TEXT NOT NULL,
  phase TEXT,
  examples INTEGER,
  padding_share REAL,
  padding_share_fixed REAL,
  step INTEGER NOT NULL DEFAULT 0,
  total_steps INTEGER NOT NULL DEFAULT 0,
  epoch REAL NOT NULL DEFAULT 0,
  tokens_per_s REAL,
  eta_s REAL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  outputs TEXT NOT NULL DEFAULT '{}',
  message TEXT,
  runner TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX training_runs_character ON training_runs (character_id, created_at);

CREATE TABLE training_points (
  run_id TEXT NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  loss REAL,
  eval_loss REAL,
  lr REAL,
  PRIMARY KEY (run_id, step)
);
