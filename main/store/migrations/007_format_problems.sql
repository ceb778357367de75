-- What in the model's answer did not fit the format, kept with the experience it concerns
-- (a JSON array of {code, message, turn, raw}; see FormatProblem in common/contract/dataset.ts).
-- Experiences written before this migration carry none.
ALTER TABLE experiences ADD COLUMN problems TEXT NOT NULL DEFAULT '[]';
