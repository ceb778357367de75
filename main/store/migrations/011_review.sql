-- Review of the dataset (issue 10, point 3): a status, a rating and tags per scene, and a short log
-- of bulk review actions so the last ones can be undone.
-- `unreviewed` scenes are trained like `accepted` ones; `rejected` scenes never reach training.
ALTER TABLE scenes ADD COLUMN review_status TEXT NOT NULL DEFAULT 'unreviewed'
  CHECK (review_status IN ('unreviewed', 'accepted', 'rejected'));
-- 1–5, or NULL while not rated.
ALTER TABLE scenes ADD COLUMN rating INTEGER CHECK (rating BETWEEN 1 AND 5);
-- Epoch milliseconds of the last review change; NULL while never reviewed.
ALTER TABLE scenes ADD COLUMN reviewed_at INTEGER;

-- Counts per status and rating and the filters over them read this index only.
CREATE INDEX scenes_review ON scenes (character_id, review_status, rating, has_experience, protective);

CREATE TABLE scene_tags (
  scene_id TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY (scene_id, tag)
) WITHOUT ROWID;
CREATE INDEX scene_tags_character ON scene_tags (character_id, tag, scene_id);

-- One bulk review action (`review/set`); `undone_at` is set once `review/undo` restored it. Only
-- the character's latest actions are kept (see ReviewRepo.KEEP_ACTIONS).
CREATE TABLE review_actions (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  summary TEXT NOT NULL,
  scenes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  undone_at INTEGER
);
CREATE INDEX review_actions_character ON review_actions (character_id, created_at);

-- What an action changed: each scene's status, rating and review time before it.
CREATE TABLE review_action_scenes (
  action_id TEXT NOT NULL REFERENCES review_actions (id) ON DELETE CASCADE,
  scene_id TEXT NOT NULL,
  review_status TEXT NOT NULL,
  rating INTEGER,
  reviewed_at INTEGER,
  PRIMARY KEY (action_id, scene_id)
) WITHOUT ROWID;

-- Tags an action added (`added` 1) or removed (0): undo removes or puts back exactly those.
CREATE TABLE review_action_tags (
  action_id TEXT NOT NULL REFERENCES review_actions (id) ON DELETE CASCADE,
  scene_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  added INTEGER NOT NULL,
  PRIMARY KEY (action_id, scene_id, tag)
) WITHOUT ROWID;
