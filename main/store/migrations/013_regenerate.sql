-- Regeneration with a written instruction (issue 10, point 1), run as `regenerate` jobs (point 8).
-- A regeneration whose answer lands on the revision it started from becomes the scene's next
-- revision (author 'llm'); the writer's instruction is kept on it.
ALTER TABLE scene_revisions ADD COLUMN instruction TEXT;

-- A regeneration kept aside: the scene moved (a person saved, another job wrote it) while the call
-- was out, so the answer did not overwrite that change. The writer compares it in History and may
-- adopt it as a new revision (`adopted_as`). Written with its job item's `done` mark, so a crash
-- leaves both or neither.
CREATE TABLE scene_proposals (
  id TEXT PRIMARY KEY,
  scene_id TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
  base_revision INTEGER NOT NULL,
  -- SceneDoc (common/contract/scenes.ts) as JSON.
  doc TEXT NOT NULL,
  job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
  call_id TEXT,
  prompt_version TEXT NOT NULL,
  instruction TEXT NOT NULL,
  -- The one turn rewritten (0-based), NULL for the whole experience.
  turn INTEGER,
  adopted_as INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX scene_proposals_scene ON scene_proposals (scene_id, created_at);
