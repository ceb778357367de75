-- What the trainer warned about during a run (its `warning` events: scenes cut at the maximum
-- length, scenes dropped, a base model taken from the cache…), as a JSON array of
-- {code, message, sceneIds, at}, oldest first; one entry per distinct code and message.

ALTER TABLE training_runs ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
