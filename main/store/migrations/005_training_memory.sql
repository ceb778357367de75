-- What a training run measured of the machine: the device it trained on (from the trainer's
-- loading_model phase, e.g. cuda:0 or cpu) and the most memory it held there, in bytes.

ALTER TABLE training_runs ADD COLUMN device TEXT;
ALTER TABLE training_runs ADD COLUMN peak_memory_bytes INTEGER;
