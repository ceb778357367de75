CREATE UNIQUE INDEX characters_full_name_unique ON characters (full_name COLLATE NOCASE);

CREATE INDEX chunks_profile_position ON chunks (profile_id, position);

CREATE UNIQUE INDEX hosts_name ON hosts (name COLLATE NOCASE);

CREATE INDEX job_items_job_stage_status ON job_items (job_id, stage, status);

CREATE INDEX jobs_character ON jobs (character_id, created_at);

CREATE INDEX jobs_status ON jobs (status);

CREATE INDEX knowledge_limits_character ON knowledge_limits (character_id, position);

CREATE INDEX llm_calls_job ON llm_calls (job_id);

CREATE INDEX llm_calls_open ON llm_calls (status) WHERE status != 'done';

CREATE INDEX profiles_character ON profiles (character_id, created_at);

CREATE UNIQUE INDEX providers_name_unique ON providers (name COLLATE NOCASE);

CREATE INDEX review_actions_character ON review_actions (character_id, created_at);

CREATE INDEX scene_problem_counts_character ON scene_problem_counts (character_id, code, count);

CREATE INDEX scene_proposals_scene ON scene_proposals (scene_id, created_at);

CREATE INDEX scene_tags_character ON scene_tags (character_id, tag, scene_id);

CREATE INDEX scenes_character ON scenes (character_id, protective, created_at);

CREATE INDEX scenes_figures ON scenes (character_id, protective, has_experience, turn_count, word_count, train_chars,
  problem_count, other_thinking);

CREATE INDEX scenes_job ON scenes (job_id, protective, has_experience);

CREATE INDEX scenes_review ON scenes (character_id, review_status, rating, has_experience, protective);

CREATE INDEX scenes_scope ON scenes (character_id, created_at, protective, has_experience, job_id);

CREATE INDEX training_runs_character ON training_runs (character_id, created_at);

CREATE TABLE characters (
  id TEXT PRIMARY KEY,
  full_name TEXT NOT NULL,
  short_name TEXT NOT NULL,
  era TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE chunks (
  id TEXT PRIMARY KEY,
  profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  text TEXT NOT NULL CHECK (length(text) > 0),
  words INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE experiences (
  scene_id TEXT PRIMARY KEY REFERENCES scenes (id) ON DELETE CASCADE,
  background TEXT NOT NULL,
  turns TEXT NOT NULL,
  call_id TEXT,
  prompt_version TEXT NOT NULL,
  created_at INTEGER NOT NULL
, problems TEXT NOT NULL DEFAULT '[]');

CREATE TABLE generation_preferences (
  character_id TEXT PRIMARY KEY REFERENCES characters (id) ON DELETE CASCADE,
  settings TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE hosts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  host TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
  username TEXT NOT NULL,
  private_key_path TEXT NOT NULL DEFAULT '',
  python TEXT NOT NULL DEFAULT 'python3',
  remote_root TEXT NOT NULL DEFAULT '.character-studio',
  gpu_count INTEGER NOT NULL DEFAULT 1 CHECK (gpu_count >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE job_items (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  stage TEXT NOT NULL,
  key TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
  input TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  call_id TEXT,
  updated_at INTEGER NOT NULL,
  UNIQUE (job_id, key)
);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  stage TEXT,
  settings TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  message TEXT,
  -- Which process runs it ("pid@host") and when it last said so: a job whose runner has gone
  -- quiet is interrupted, one whose runner is alive belongs to that process.
  runner TEXT,
  heartbeat_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);

CREATE TABLE knowledge_limits (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  text TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('generated', 'user')),
  call_id TEXT,
  created_at INTEGER NOT NULL
);

CREATE TABLE llm_calls (
  rowid_ INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
  item_id TEXT,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  response_model TEXT,
  params TEXT NOT NULL,
  messages TEXT NOT NULL,
  response TEXT,
  finish_reason TEXT,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  cost_usd REAL,
  latency_ms INTEGER NOT NULL,
  error TEXT,
  started_at INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'done'
  CHECK (status IN ('in_flight', 'done', 'interrupted')),
  UNIQUE (id, attempt)
);

CREATE TABLE model_prices (
  model TEXT PRIMARY KEY,
  prompt_per_million REAL NOT NULL,
  completion_per_million REAL NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE preferences (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE profiles (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  source_name TEXT,
  format TEXT NOT NULL CHECK (format IN ('character-llm', 'markdown', 'text')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE prompt_versions (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  stage TEXT NOT NULL,
  version INTEGER NOT NULL,
  system TEXT NOT NULL,
  template TEXT NOT NULL,
  -- 0 marks a reset to the built-in prompt from this version on.
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  UNIQUE (character_id, stage, version)
);

CREATE TABLE providers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('openai-compatible', 'embedded')),
  preset TEXT NOT NULL,
  base_url TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  model_path TEXT NOT NULL DEFAULT '',
  -- The key itself lives in the secret store, never here.
  has_api_key INTEGER NOT NULL DEFAULT 0,
  max_concurrency INTEGER NOT NULL DEFAULT 4,
  requests_per_minute INTEGER NOT NULL DEFAULT 0,
  timeout_ms INTEGER NOT NULL DEFAULT 180000,
  structured_output INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE review_action_scenes (
  action_id TEXT NOT NULL REFERENCES review_actions (id) ON DELETE CASCADE,
  scene_id TEXT NOT NULL,
  review_status TEXT NOT NULL,
  rating INTEGER,
  reviewed_at INTEGER,
  PRIMARY KEY (action_id, scene_id)
) WITHOUT ROWID;

CREATE TABLE review_action_tags (
  action_id TEXT NOT NULL REFERENCES review_actions (id) ON DELETE CASCADE,
  scene_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  added INTEGER NOT NULL,
  PRIMARY KEY (action_id, scene_id, tag)
) WITHOUT ROWID;

CREATE TABLE review_actions (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  summary TEXT NOT NULL,
  scenes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  undone_at INTEGER
);

CREATE TABLE scene_problem_counts (
  scene_id TEXT NOT NULL REFERENCES experiences (scene_id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  code TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (scene_id, code)
) WITHOUT ROWID;

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
  created_at INTEGER NOT NULL, instruction TEXT,
  PRIMARY KEY (scene_id, revision)
) WITHOUT ROWID;

CREATE TABLE scene_tags (
  scene_id TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY (scene_id, tag)
) WITHOUT ROWID;

CREATE TABLE scenes (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
  -- The work item that wrote it and its place in that item's output: a re-run cannot duplicate it.
  item_id TEXT NOT NULL,
  ordinal INTEGER NOT NULL,
  chunk_id TEXT REFERENCES chunks (id) ON DELETE SET NULL,
  protective INTEGER NOT NULL DEFAULT 0,
  limit_text TEXT,
  type TEXT NOT NULL,
  location TEXT NOT NULL,
  time TEXT NOT NULL,
  background TEXT NOT NULL,
  people TEXT NOT NULL,
  call_id TEXT,
  prompt_version TEXT NOT NULL,
  created_at INTEGER NOT NULL, has_experience INTEGER NOT NULL DEFAULT 0, turn_count INTEGER NOT NULL DEFAULT 0, word_count INTEGER NOT NULL DEFAULT 0, train_chars INTEGER NOT NULL DEFAULT 0, problem_count INTEGER NOT NULL DEFAULT 0, other_thinking INTEGER NOT NULL DEFAULT 0, revision INTEGER NOT NULL DEFAULT 1, origin TEXT NOT NULL DEFAULT 'generated', review_status TEXT NOT NULL DEFAULT 'unreviewed'
  CHECK (review_status IN ('unreviewed', 'accepted', 'rejected')), rating INTEGER CHECK (rating BETWEEN 1 AND 5), reviewed_at INTEGER,
  UNIQUE (item_id, ordinal)
);

CREATE TABLE schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  );

CREATE TABLE training_points (
  run_id TEXT NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  loss REAL,
  eval_loss REAL,
  lr REAL,
  PRIMARY KEY (run_id, step)
);

CREATE TABLE training_runs (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'stopping', 'stopped', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  target TEXT NOT NULL,
  config TEXT NOT NULL,
  run_dir TEXT NOT NULL,
  phase TEXT,
  examples INTEGER,
  padding_share REAL,
  padding_share_fixed REAL,
  step INTEGER NOT NULL DEFAULT 0,
  total_steps INTEGER NOT NULL DEFAULT 0,
  epoch REAL NOT NULL DEFAULT 0,
  tokens_per_s REAL,
  eta_s REAL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  outputs TEXT NOT NULL DEFAULT '{}',
  message TEXT,
  runner TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
, device TEXT, peak_memory_bytes INTEGER, warnings TEXT NOT NULL DEFAULT '[]');

CREATE TRIGGER experiences_figures_reset AFTER DELETE ON experiences BEGIN
  UPDATE scenes SET has_experience = 0, turn_count = 0, word_count = 0, train_chars = 0, problem_count = 0,
    other_thinking = 0
  WHERE id = OLD.scene_id;
END;
