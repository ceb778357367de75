-- The trainer's log lines (its stderr, an export's too) kept per run, so a failed run's traceback
-- can be read after a reload, a restart or from another process. `seq` counts the run's lines from
-- 1 without gaps; the repository keeps the first and the last lines of a long log and drops the
-- middle, so the lines left out are the gaps in `seq` (max(seq) - count(*)).
CREATE TABLE training_logs (
  run_id TEXT NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- A stop or cancel asked for by another process (the CLI beside `serve`, or the reverse) of a run
-- the process in `runner` trains: that process reads it within a second and stops or cancels the
-- run as its own button would. Cleared as the run starts or ends.
ALTER TABLE training_runs ADD COLUMN stop_request TEXT CHECK (stop_request IN ('stop', 'cancel'));
