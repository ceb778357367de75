-- Datasets read from files (`dataset/import`): one row per import, and on each scene it added the
-- import, the line (JSON lines) or item number (JSON lists, 1-based) it was read from, and the
-- item's own id in the file (`source`, e.g. the paper's seed_dialogue_12). An import is all or
-- nothing: its scenes are staged in temporary tables and copied in one transaction.
CREATE TABLE dataset_imports (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  -- The file as the user named it (an uploaded file's name, or the path given).
  file TEXT NOT NULL,
  -- ImportFormat (common/contract/interop.ts), as detected.
  format TEXT NOT NULL,
  scenes INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

ALTER TABLE scenes ADD COLUMN import_id TEXT REFERENCES dataset_imports (id) ON DELETE SET NULL;
ALTER TABLE scenes ADD COLUMN import_line INTEGER;
-- For a Hugging Face folder: the split file inside it (data/train.jsonl); else NULL (the import's file).
ALTER TABLE scenes ADD COLUMN import_file TEXT;
ALTER TABLE scenes ADD COLUMN import_source TEXT;
