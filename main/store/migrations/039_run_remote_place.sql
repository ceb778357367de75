-- Where a run on an SSH host lives there, as JSON {host, port, username, dir, pid}: recorded when its
-- trainer is launched or re-attached, so a run whose host was deleted from the settings still says
-- which machine, folder and process to stop by hand. NULL for local runs and runs not yet launched.
ALTER TABLE training_runs ADD COLUMN remote_place TEXT;
