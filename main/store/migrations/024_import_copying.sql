-- An import's scenes are copied from its staging tables into the store in slices, each its own
-- short transaction, so the thread that answers requests is never held for long (one transaction
-- for 100,000 scenes held it for tens of seconds). `copying` is 1 from the first slice until the
-- last is in; a cancel or a failure removes the scenes already copied, and a studio that stopped
-- mid-copy removes them when it next opens, so an import stays all or nothing.
ALTER TABLE dataset_imports ADD COLUMN copying INTEGER NOT NULL DEFAULT 0;
