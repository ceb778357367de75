-- Scene editing: every change to a scene is a revision holding the whole document (scene fields and
-- experience) as JSON, so any two can be compared and any one restored.
-- `scenes.revision` is the scene's current revision number: 1 for a scene as generated, bumped by
-- each save, restore and each experience written by a job. Saves name the revision they started
-- from and are refused when it moved (two windows, or a window and a job).
-- Revisions are recorded lazily: a scene never edited has no rows; its first save records the
-- state it had (author 'generated') as its current revision number before the edit.
ALTER TABLE scenes ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
-- 'generated' (by a generation job) or 'hand' (written by a person, without any LLM).
ALTER TABLE scenes ADD COLUMN origin TEXT NOT NULL DEFAULT 'generated';

CREATE TABLE scene_revisions (
  scene_id TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
  revision INTEGER NOT NULL,
  -- SceneDoc (common/contract/scenes.ts) as JSON.
  doc TEXT NOT NULL,
  -- 'generated' | 'user' | 'llm' | 'import'
  author TEXT NOT NULL,
  call_id TEXT,
  prompt_version TEXT,
  restored_from INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (scene_id, revision)
) WITHOUT ROWID;
