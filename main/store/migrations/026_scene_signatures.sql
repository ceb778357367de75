-- Each scene's near-duplicate signature (see main/core/pipeline/parse-dedupe.ts: a tag of the
-- hashing, the MinHash band keys and the word-shingle hashes of its location and background). A
-- generation job writes it with each scene it keeps and fills it in for scenes that lack it (written
-- before this version, imported, edited), so the next job's duplicate check reads it instead of
-- hashing every scene's text again. NULL: not computed yet, or stale.
ALTER TABLE scenes ADD COLUMN dedupe_signature BLOB;

-- A signature is of the text it was computed from: an edit of the location or the background
-- drops it (the next job computes it again).
CREATE TRIGGER scenes_signature_stale AFTER UPDATE OF location, background ON scenes
  WHEN NEW.dedupe_signature IS NOT NULL
    AND (NEW.location IS NOT OLD.location OR NEW.background IS NOT OLD.background)
BEGIN
  UPDATE scenes SET dedupe_signature = NULL WHERE rowid = NEW.rowid;
END;
