-- A pause or cancel asked for by another process (the CLI beside `serve`, a second window) of a
-- job this one does not run: the process running it reads the request within a second and stops
-- the run as asked. Cleared as the job's status changes.
ALTER TABLE jobs ADD COLUMN stop_request TEXT CHECK (stop_request IN ('paused', 'cancelled'));
