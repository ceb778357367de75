CREATE UNIQUE INDEX characters_full_name_unique ON characters (full_name COLLATE NOCASE);

CREATE INDEX chat_messages_parent ON chat_messages (conversation_id, parent_id, seq);

CREATE INDEX chat_messages_scene ON chat_messages (scene_id) WHERE scene_id IS NOT NULL;

CREATE INDEX chunks_profile_position ON chunks (profile_id, position);

CREATE INDEX conversations_character ON conversations (character_id, updated_at);

CREATE UNIQUE INDEX eval_systems_label ON eval_systems (character_id, label);

CREATE UNIQUE INDEX hosts_name ON hosts (name COLLATE NOCASE);

CREATE INDEX interview_turns_round ON interview_turns (interview_id, round);

CREATE INDEX interviews_character ON interviews (character_id, system_id, mode);

CREATE INDEX interviews_job ON interviews (job_id);

CREATE INDEX job_items_job_stage_status ON job_items (job_id, stage, status);

CREATE INDEX job_items_with_error ON job_items (job_id, status, updated_at) WHERE error IS NOT NULL;

CREATE INDEX jobs_character ON jobs (character_id, created_at);

CREATE INDEX jobs_status ON jobs (status);

CREATE INDEX judgments_character ON judgments (character_id, dimension);

CREATE INDEX judgments_job ON judgments (job_id);

CREATE INDEX knowledge_limits_character ON knowledge_limits (character_id, position);

CREATE INDEX llm_calls_interrupted ON llm_calls (job_id) WHERE status = 'interrupted';

CREATE INDEX llm_calls_job ON llm_calls (job_id);

CREATE INDEX llm_calls_open ON llm_calls (status) WHERE status != 'done';

CREATE INDEX pairwise_judgments_systems ON pairwise_judgments (character_id, system_a, system_b);

CREATE INDEX profiles_character ON profiles (character_id, created_at);

CREATE UNIQUE INDEX providers_name_unique ON providers (name COLLATE NOCASE);

CREATE INDEX question_sets_character ON question_sets (character_id, created_at);

CREATE INDEX review_actions_character ON review_actions (character_id, created_at);

CREATE INDEX scene_problem_counts_character ON scene_problem_counts (character_id, code, count);

CREATE INDEX scene_proposals_scene ON scene_proposals (scene_id, created_at);

CREATE INDEX scene_speakers_character ON scene_speakers (character_id, speaker, scene_id);

CREATE INDEX scene_tags_character ON scene_tags (character_id, tag, scene_id);

CREATE INDEX scenes_by_added ON scenes (character_id);

CREATE INDEX scenes_by_created ON scenes (character_id, created_at);

CREATE INDEX scenes_by_facets ON scenes (character_id, origin, protective, review_status, rating, chunk_id,
  prompt_version, model, problem_count, has_experience, turn_count, id);

CREATE INDEX scenes_by_model ON scenes (character_id, model);

CREATE INDEX scenes_by_rating ON scenes (character_id, coalesce(rating, 0));

CREATE INDEX scenes_by_turns ON scenes (character_id, turn_count);

CREATE INDEX scenes_by_words ON scenes (character_id, word_count);

CREATE INDEX scenes_character ON scenes (character_id, protective, created_at);

CREATE INDEX scenes_chunk ON scenes (chunk_id, protective, has_experience);

CREATE INDEX scenes_figures ON scenes (character_id, protective, has_experience, turn_count, word_count, train_chars,
  problem_count, other_thinking);

CREATE INDEX scenes_job ON scenes (job_id, protective, has_experience);

CREATE INDEX scenes_review ON scenes (character_id, review_status, rating, has_experience, protective);

CREATE INDEX scenes_scope ON scenes (character_id, created_at, protective, has_experience, job_id);

CREATE INDEX training_runs_character ON training_runs (character_id, created_at);

CREATE TABLE character_images (
  character_id TEXT PRIMARY KEY REFERENCES characters (id) ON DELETE CASCADE,
  mime TEXT NOT NULL,
  bytes BLOB NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE character_scene_counts (
  character_id TEXT NOT NULL,
  protective INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (character_id, protective)
) WITHOUT ROWID;

CREATE TABLE character_speakers (
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  speaker TEXT NOT NULL COLLATE NOCASE,
  kind TEXT NOT NULL,
  turns INTEGER NOT NULL,
  words INTEGER NOT NULL,
  PRIMARY KEY (character_id, speaker, kind)
) WITHOUT ROWID;

CREATE TABLE character_turn_lengths (
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  bucket INTEGER NOT NULL,
  turns INTEGER NOT NULL,
  PRIMARY KEY (character_id, bucket)
) WITHOUT ROWID;

CREATE TABLE characters (
  id TEXT PRIMARY KEY,
  full_name TEXT NOT NULL,
  short_name TEXT NOT NULL,
  era TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE chat_messages (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  parent_id TEXT REFERENCES chat_messages (id) ON DELETE CASCADE,
  -- Insertion order within the conversation: siblings are listed in it.
  seq INTEGER NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('user', 'character')),
  speaker TEXT NOT NULL,
  text TEXT NOT NULL,
  reasoning TEXT,
  state TEXT NOT NULL CHECK (state IN ('streaming', 'complete', 'cancelled', 'cut')),
  -- 'stop' | 'length' | NULL
  finish TEXT,
  error TEXT,
  -- ChatProducer (common/contract/chat.ts) as JSON: runtime, model, adapter, format, sampling.
  producer TEXT,
  -- The LLM call record (llm_calls.id) of a reply made through the gateway.
  call_id TEXT,
  edited_from TEXT,
  -- While streaming: the process writing it (`host:pid`), so a studio that starts while another
  -- one (the CLI beside the app) is replying does not take that reply for one cut by a crash.
  writer TEXT,
  -- The dataset scene a correction became (chat/correct).
  scene_id TEXT REFERENCES scenes (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL
);

CREATE VIRTUAL TABLE chat_search USING fts5 (
  body,
  conversation_id UNINDEXED,
  message_id UNINDEXED,
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE 'chat_search_config'(k PRIMARY KEY, v) WITHOUT ROWID;

CREATE TABLE 'chat_search_content'(id INTEGER PRIMARY KEY, c0, c1, c2);

CREATE TABLE 'chat_search_data'(id INTEGER PRIMARY KEY, block BLOB);

CREATE TABLE 'chat_search_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

CREATE TABLE 'chat_search_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

CREATE TABLE chunks (
  id TEXT PRIMARY KEY,
  profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  text TEXT NOT NULL CHECK (length(text) > 0),
  words INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  -- 'run' (run_id) or 'baseline' (provider_id + model). No foreign keys: a deleted run or provider
  -- leaves the conversation readable.
  target_kind TEXT NOT NULL CHECK (target_kind IN ('run', 'baseline')),
  run_id TEXT,
  provider_id TEXT,
  model TEXT,
  -- 'embedded' | 'served' | 'endpoint'
  runtime TEXT NOT NULL,
  location TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT '',
  source_scene_id TEXT,
  leaf_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
, sampling TEXT NOT NULL DEFAULT '{"temperature":0.2,"topP":0.95,"maxTokens":256}', user_name TEXT NOT NULL DEFAULT '');

CREATE TABLE dataset_imports (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  -- The file as the user named it (an uploaded file's name, or the path given).
  file TEXT NOT NULL,
  -- ImportFormat (common/contract/interop.ts), as detected.
  format TEXT NOT NULL,
  scenes INTEGER NOT NULL,
  created_at INTEGER NOT NULL
, copying INTEGER NOT NULL DEFAULT 0);

CREATE TABLE eval_systems (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('run', 'base', 'prompted', 'imported')),
  label TEXT NOT NULL,
  answerer TEXT,
  sampling TEXT,
  prompt_version TEXT,
  source TEXT,
  archived_at INTEGER,
  created_at INTEGER NOT NULL
);

CREATE TABLE experience_speakers (
  scene_id TEXT NOT NULL REFERENCES experiences (scene_id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  speaker TEXT NOT NULL,
  kind TEXT NOT NULL,
  turns INTEGER NOT NULL,
  words INTEGER NOT NULL,
  PRIMARY KEY (scene_id, speaker, kind)
) WITHOUT ROWID;

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

CREATE TABLE interview_turns (
  id TEXT PRIMARY KEY,
  interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  round INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('interviewer', 'character')),
  speaker TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('speaking', 'thinking')),
  raw_action TEXT,
  text TEXT NOT NULL,
  nonstop INTEGER NOT NULL DEFAULT 0,
  source TEXT,
  call_id TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (interview_id, seq)
);

CREATE TABLE interviews (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
  system_id TEXT NOT NULL REFERENCES eval_systems (id) ON DELETE CASCADE,
  question_id TEXT NOT NULL REFERENCES questions (id),
  set_id TEXT NOT NULL,
  set_version INTEGER NOT NULL,
  topic_id TEXT NOT NULL,
  question TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('single', 'multi')),
  rounds INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  error TEXT,
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
, item_counts TEXT NOT NULL DEFAULT '{}', scope_scenes INTEGER NOT NULL DEFAULT 0, scope_experiences INTEGER NOT NULL DEFAULT 0, scope_protective INTEGER NOT NULL DEFAULT 0, scope_protective_experiences INTEGER NOT NULL DEFAULT 0, stop_request TEXT CHECK (stop_request IN ('paused', 'cancelled')), unpriced_calls INTEGER NOT NULL DEFAULT 0);

CREATE TABLE judgments (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  dimension TEXT NOT NULL
    CHECK (dimension IN ('memorization', 'values', 'personality', 'hallucination', 'stability')),
  provider_id TEXT,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  prompt_version TEXT NOT NULL,
  score INTEGER CHECK (score IS NULL OR score BETWEEN 1 AND 7),
  reasoning TEXT,
  failures TEXT NOT NULL DEFAULT '[]',
  failure_count INTEGER NOT NULL DEFAULT 0,
  call_ids TEXT NOT NULL DEFAULT '[]',
  job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (interview_id, dimension, model, prompt_version)
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
  CHECK (status IN ('in_flight', 'done', 'interrupted')), provider_label TEXT,
  UNIQUE (id, attempt)
);

CREATE TABLE model_prices (
  model TEXT PRIMARY KEY,
  prompt_per_million REAL NOT NULL,
  completion_per_million REAL NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE pairwise_judgments (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  system_a TEXT NOT NULL REFERENCES eval_systems (id) ON DELETE CASCADE,
  system_b TEXT NOT NULL REFERENCES eval_systems (id) ON DELETE CASCADE,
  interview_a TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  interview_b TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  dimension TEXT NOT NULL
    CHECK (dimension IN ('memorization', 'values', 'personality', 'hallucination', 'stability')),
  provider_id TEXT,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  prompt_version TEXT NOT NULL,
  ab_side TEXT CHECK (ab_side IN ('a', 'b', 'tie')),
  ab_reasoning TEXT,
  ab_failures TEXT NOT NULL DEFAULT '[]',
  ab_call_ids TEXT NOT NULL DEFAULT '[]',
  ab_done INTEGER NOT NULL DEFAULT 0,
  ba_side TEXT CHECK (ba_side IN ('a', 'b', 'tie')),
  ba_reasoning TEXT,
  ba_failures TEXT NOT NULL DEFAULT '[]',
  ba_call_ids TEXT NOT NULL DEFAULT '[]',
  ba_done INTEGER NOT NULL DEFAULT 0,
  job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (interview_a, interview_b, dimension, model, prompt_version)
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
, source_kind TEXT CHECK (source_kind IN ('wikipedia', 'card')), source_url TEXT, source_revision TEXT, source_licence TEXT, source_licence_url TEXT, source_author TEXT, retrieved_at INTEGER);

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

CREATE TABLE question_set_versions (
  set_id TEXT NOT NULL REFERENCES question_sets (id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  note TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (set_id, version)
);

CREATE TABLE question_sets (
  id TEXT PRIMARY KEY,
  character_id TEXT NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('generated', 'imported', 'hand')),
  -- The imported file's name, or the provider, model and prompt version of a generation.
  source TEXT,
  -- JSON array of llm_calls ids (a generated set: one call per topic and mode).
  call_ids TEXT NOT NULL DEFAULT '[]',
  current_version INTEGER NOT NULL DEFAULT 1,
  archived_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE questions (
  id TEXT PRIMARY KEY,
  set_id TEXT NOT NULL REFERENCES question_sets (id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  key TEXT NOT NULL,
  position INTEGER NOT NULL,
  topic_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  text TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('single', 'multi')),
  UNIQUE (set_id, version, position),
  FOREIGN KEY (set_id, version) REFERENCES question_set_versions (set_id, version) ON DELETE CASCADE
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

CREATE VIRTUAL TABLE scene_search USING fts5(
  type, location, time, background, people, experience,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '1 2 3'
);

CREATE TABLE 'scene_search_config'(k PRIMARY KEY, v) WITHOUT ROWID;

CREATE TABLE 'scene_search_content'(id INTEGER PRIMARY KEY, c0, c1, c2, c3, c4, c5);

CREATE TABLE 'scene_search_data'(id INTEGER PRIMARY KEY, block BLOB);

CREATE TABLE 'scene_search_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

CREATE TABLE 'scene_search_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

CREATE TABLE scene_speakers (
  scene_id TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  speaker TEXT NOT NULL,
  turns INTEGER NOT NULL,
  PRIMARY KEY (scene_id, speaker)
) WITHOUT ROWID;

CREATE TABLE scene_tags (
  scene_id TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY (scene_id, tag)
) WITHOUT ROWID;

CREATE TABLE scene_turn_lengths (
  scene_id TEXT NOT NULL REFERENCES experiences (scene_id) ON DELETE CASCADE,
  character_id TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  turns INTEGER NOT NULL,
  PRIMARY KEY (scene_id, bucket)
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
  CHECK (review_status IN ('unreviewed', 'accepted', 'rejected')), rating INTEGER CHECK (rating BETWEEN 1 AND 5), reviewed_at INTEGER, model TEXT, import_id TEXT REFERENCES dataset_imports (id) ON DELETE SET NULL, import_line INTEGER, import_file TEXT, import_source TEXT, dedupe_signature BLOB,
  UNIQUE (item_id, ordinal)
);

CREATE TABLE schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  );

CREATE TABLE search_deferral (id INTEGER PRIMARY KEY CHECK (id = 1));

CREATE TABLE search_pending (scene_rowid INTEGER PRIMARY KEY);

CREATE TABLE training_logs (
  run_id TEXT NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

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
, device TEXT, peak_memory_bytes INTEGER, warnings TEXT NOT NULL DEFAULT '[]', stop_request TEXT CHECK (stop_request IN ('stop', 'cancel')), remote_place TEXT);

CREATE TRIGGER character_counts_dropped AFTER DELETE ON characters
BEGIN
  DELETE FROM character_scene_counts WHERE character_id = OLD.id;
END;

CREATE TRIGGER chat_messages_search_delete AFTER DELETE ON chat_messages BEGIN
  DELETE FROM chat_search WHERE rowid = old.rowid;
END;

CREATE TRIGGER chat_messages_search_insert AFTER INSERT ON chat_messages BEGIN
  INSERT INTO chat_search (rowid, body, conversation_id, message_id)
  VALUES (new.rowid, new.text || coalesce(' ' || new.reasoning, ''), new.conversation_id, new.id);
END;

CREATE TRIGGER chat_messages_search_update AFTER UPDATE OF text, reasoning ON chat_messages BEGIN
  UPDATE chat_search SET body = new.text || coalesce(' ' || new.reasoning, '') WHERE rowid = old.rowid;
END;

CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
  DELETE FROM chat_search WHERE rowid = -old.rowid;
END;

CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
  INSERT INTO chat_search (rowid, body, conversation_id, message_id) VALUES (-new.rowid, new.title, new.id, NULL);
END;

CREATE TRIGGER conversations_search_update AFTER UPDATE OF title ON conversations BEGIN
  UPDATE chat_search SET body = new.title WHERE rowid = -old.rowid;
END;

CREATE TRIGGER experience_written_index INSTEAD OF INSERT ON experience_written BEGIN
  UPDATE scene_search SET experience = NEW.background || char(10) ||
      (SELECT coalesce(group_concat(json_extract(value, '$.text'), char(10)), '') FROM json_each(NEW.turns))
  WHERE rowid = (SELECT rowid FROM scenes WHERE id = NEW.scene_id)
    AND NOT EXISTS (SELECT 1 FROM search_deferral)
    AND NOT EXISTS (SELECT 1 FROM scenes s JOIN dataset_imports i ON i.id = s.import_id
      WHERE s.id = NEW.scene_id AND i.copying = 1);
  INSERT OR IGNORE INTO search_pending (scene_rowid)
  SELECT s.rowid FROM scenes s WHERE s.id = NEW.scene_id AND EXISTS (SELECT 1 FROM search_deferral)
    AND (s.import_id IS NULL OR NOT EXISTS (SELECT 1 FROM dataset_imports i WHERE i.id = s.import_id AND i.copying = 1));
END;

CREATE TRIGGER experiences_figures_reset AFTER DELETE ON experiences BEGIN
  UPDATE jobs SET
      scope_experiences = scope_experiences - (s.protective = 0),
      scope_protective_experiences = scope_protective_experiences - (s.protective != 0)
    FROM (SELECT character_id, protective, job_id, created_at FROM scenes
          WHERE id = OLD.scene_id AND has_experience != 0) AS s
    WHERE jobs.character_id = s.character_id AND jobs.kind = 'generation'
      AND (jobs.id = s.job_id OR (jobs.created_at > s.created_at AND jobs.id IS NOT s.job_id));
  UPDATE scenes SET has_experience = 0, turn_count = 0, word_count = 0, train_chars = 0, problem_count = 0,
    other_thinking = 0
  WHERE id = OLD.scene_id;
END;

CREATE TRIGGER experiences_scope_insert AFTER INSERT ON experiences BEGIN
  UPDATE jobs SET
      scope_experiences = scope_experiences + (s.protective = 0),
      scope_protective_experiences = scope_protective_experiences + (s.protective != 0)
    FROM (SELECT character_id, protective, job_id, created_at FROM scenes
          WHERE id = NEW.scene_id AND has_experience = 0) AS s
    WHERE jobs.character_id = s.character_id AND jobs.kind = 'generation'
      AND (jobs.id = s.job_id OR (jobs.created_at > s.created_at AND jobs.id IS NOT s.job_id));
END;

CREATE TRIGGER experiences_search_delete AFTER DELETE ON experiences BEGIN
  UPDATE scene_search SET experience = '' WHERE rowid = (SELECT rowid FROM scenes WHERE id = OLD.scene_id)
    AND NOT EXISTS (SELECT 1 FROM search_deferral);
  INSERT OR IGNORE INTO search_pending (scene_rowid)
  SELECT rowid FROM scenes WHERE id = OLD.scene_id AND EXISTS (SELECT 1 FROM search_deferral);
  DELETE FROM scene_speakers WHERE scene_id = OLD.scene_id;
END;

CREATE TRIGGER experiences_search_insert AFTER INSERT ON experiences BEGIN
  INSERT INTO experience_written VALUES (NEW.scene_id, NEW.background, NEW.turns, NEW.call_id);
END;

CREATE TRIGGER experiences_search_update AFTER UPDATE OF background, turns, call_id ON experiences BEGIN
  INSERT INTO experience_written VALUES (NEW.scene_id, NEW.background, NEW.turns, NEW.call_id);
END;

CREATE TRIGGER job_items_counted_delete AFTER DELETE ON job_items BEGIN
  UPDATE jobs SET item_counts = json_set(item_counts, '$."' || OLD.stage || '"."' || OLD.status || '"',
      coalesce(json_extract(item_counts, '$."' || OLD.stage || '"."' || OLD.status || '"'), 0) - 1)
    WHERE id = OLD.job_id;
END;

CREATE TRIGGER job_items_counted_insert AFTER INSERT ON job_items BEGIN
  UPDATE jobs SET item_counts = json_set(item_counts, '$."' || NEW.stage || '"."' || NEW.status || '"',
      coalesce(json_extract(item_counts, '$."' || NEW.stage || '"."' || NEW.status || '"'), 0) + 1)
    WHERE id = NEW.job_id;
END;

CREATE TRIGGER job_items_counted_update AFTER UPDATE OF stage, status ON job_items
  WHEN OLD.stage IS NOT NEW.stage OR OLD.status IS NOT NEW.status BEGIN
  UPDATE jobs SET item_counts = json_set(
      json_set(item_counts, '$."' || OLD.stage || '"."' || OLD.status || '"',
        coalesce(json_extract(item_counts, '$."' || OLD.stage || '"."' || OLD.status || '"'), 0) - 1),
      '$."' || NEW.stage || '"."' || NEW.status || '"',
      coalesce(json_extract(item_counts, '$."' || NEW.stage || '"."' || NEW.status || '"'), 0) + 1)
    WHERE id = NEW.job_id;
END;

CREATE TRIGGER jobs_scope_insert AFTER INSERT ON jobs WHEN NEW.kind = 'generation' BEGIN
  UPDATE jobs SET (scope_scenes, scope_experiences, scope_protective, scope_protective_experiences) = (
    SELECT coalesce(sum(protective = 0), 0), coalesce(sum(protective = 0 AND has_experience != 0), 0),
      coalesce(sum(protective != 0), 0), coalesce(sum(protective != 0 AND has_experience != 0), 0)
    FROM scenes s WHERE s.character_id = NEW.character_id
      AND (s.job_id = NEW.id OR (s.created_at < NEW.created_at AND s.job_id IS NOT NEW.id))
  ) WHERE id = NEW.id;
END;

CREATE TRIGGER scene_counted AFTER INSERT ON scenes
BEGIN
  INSERT INTO character_scene_counts (character_id, protective, n) VALUES (NEW.character_id, NEW.protective, 1)
    ON CONFLICT (character_id, protective) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER scene_recounted AFTER UPDATE OF character_id, protective ON scenes
  WHEN NEW.character_id IS NOT OLD.character_id OR NEW.protective IS NOT OLD.protective
BEGIN
  UPDATE character_scene_counts SET n = n - 1
    WHERE character_id = OLD.character_id AND protective = OLD.protective;
  INSERT INTO character_scene_counts (character_id, protective, n) VALUES (NEW.character_id, NEW.protective, 1)
    ON CONFLICT (character_id, protective) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER scene_speakers_added AFTER INSERT ON experience_speakers BEGIN
  INSERT INTO character_speakers (character_id, speaker, kind, turns, words)
  VALUES (NEW.character_id, NEW.speaker, NEW.kind, NEW.turns, NEW.words)
  ON CONFLICT (character_id, speaker, kind) DO UPDATE SET turns = turns + excluded.turns, words = words + excluded.words;
  INSERT INTO scene_speakers (scene_id, character_id, speaker, turns)
  SELECT NEW.scene_id, NEW.character_id, NEW.speaker, NEW.turns WHERE NEW.speaker != ''
  ON CONFLICT (scene_id, speaker) DO UPDATE SET turns = turns + excluded.turns;
END;

CREATE TRIGGER scene_speakers_removed AFTER DELETE ON experience_speakers BEGIN
  UPDATE character_speakers SET turns = turns - OLD.turns, words = words - OLD.words
  WHERE character_id = OLD.character_id AND speaker = OLD.speaker AND kind = OLD.kind;
  DELETE FROM character_speakers
  WHERE character_id = OLD.character_id AND speaker = OLD.speaker AND kind = OLD.kind AND turns <= 0;
  UPDATE scene_speakers SET turns = turns - OLD.turns WHERE scene_id = OLD.scene_id AND speaker = OLD.speaker;
  DELETE FROM scene_speakers WHERE scene_id = OLD.scene_id AND speaker = OLD.speaker AND turns <= 0;
END;

CREATE TRIGGER scene_turn_lengths_added AFTER INSERT ON scene_turn_lengths BEGIN
  INSERT INTO character_turn_lengths (character_id, bucket, turns) VALUES (NEW.character_id, NEW.bucket, NEW.turns)
  ON CONFLICT (character_id, bucket) DO UPDATE SET turns = turns + excluded.turns;
END;

CREATE TRIGGER scene_turn_lengths_removed AFTER DELETE ON scene_turn_lengths BEGIN
  UPDATE character_turn_lengths SET turns = turns - OLD.turns WHERE character_id = OLD.character_id AND bucket = OLD.bucket;
  DELETE FROM character_turn_lengths WHERE character_id = OLD.character_id AND bucket = OLD.bucket AND turns <= 0;
END;

CREATE TRIGGER scene_uncounted AFTER DELETE ON scenes
BEGIN
  UPDATE character_scene_counts SET n = n - 1
    WHERE character_id = OLD.character_id AND protective = OLD.protective;
END;

CREATE TRIGGER scenes_scope_delete AFTER DELETE ON scenes BEGIN
  UPDATE jobs SET scope_scenes = scope_scenes - (OLD.protective = 0),
      scope_experiences = scope_experiences - (OLD.protective = 0 AND OLD.has_experience != 0),
      scope_protective = scope_protective - (OLD.protective != 0),
      scope_protective_experiences = scope_protective_experiences - (OLD.protective != 0 AND OLD.has_experience != 0)
    WHERE character_id = OLD.character_id AND kind = 'generation'
      AND (id = OLD.job_id OR (created_at > OLD.created_at AND id IS NOT OLD.job_id));
END;

CREATE TRIGGER scenes_scope_insert AFTER INSERT ON scenes BEGIN
  UPDATE jobs SET scope_scenes = scope_scenes + (NEW.protective = 0),
      scope_experiences = scope_experiences + (NEW.protective = 0 AND NEW.has_experience != 0),
      scope_protective = scope_protective + (NEW.protective != 0),
      scope_protective_experiences = scope_protective_experiences + (NEW.protective != 0 AND NEW.has_experience != 0)
    WHERE character_id = NEW.character_id AND kind = 'generation'
      AND (id = NEW.job_id OR (created_at > NEW.created_at AND id IS NOT NEW.job_id));
END;

CREATE TRIGGER scenes_scope_update AFTER UPDATE OF protective ON scenes
  WHEN OLD.protective IS NOT NEW.protective BEGIN
  UPDATE jobs SET
      scope_scenes = scope_scenes - (OLD.protective = 0) + (NEW.protective = 0),
      scope_experiences = scope_experiences - (OLD.protective = 0 AND OLD.has_experience != 0)
        + (NEW.protective = 0 AND NEW.has_experience != 0),
      scope_protective = scope_protective - (OLD.protective != 0) + (NEW.protective != 0),
      scope_protective_experiences = scope_protective_experiences - (OLD.protective != 0 AND OLD.has_experience != 0)
        + (NEW.protective != 0 AND NEW.has_experience != 0)
    WHERE character_id = NEW.character_id AND kind = 'generation'
      AND (id = NEW.job_id OR (created_at > NEW.created_at AND id IS NOT NEW.job_id));
END;

CREATE TRIGGER scenes_search_delete AFTER DELETE ON scenes BEGIN
  DELETE FROM scene_search WHERE rowid = OLD.rowid;
  DELETE FROM search_pending WHERE scene_rowid = OLD.rowid;
END;

CREATE TRIGGER scenes_search_insert AFTER INSERT ON scenes
  WHEN (NEW.import_id IS NULL OR NOT EXISTS (SELECT 1 FROM dataset_imports WHERE id = NEW.import_id AND copying = 1))
    AND NOT EXISTS (SELECT 1 FROM search_deferral)
BEGIN
  INSERT INTO scene_search (rowid, type, location, time, background, people, experience)
  VALUES (NEW.rowid, NEW.type, NEW.location, NEW.time, NEW.background,
    (SELECT coalesce(group_concat(value, ', '), '') FROM json_each(NEW.people)), '');
END;

CREATE TRIGGER scenes_search_insert_deferred AFTER INSERT ON scenes
  WHEN (NEW.import_id IS NULL OR NOT EXISTS (SELECT 1 FROM dataset_imports WHERE id = NEW.import_id AND copying = 1))
    AND EXISTS (SELECT 1 FROM search_deferral)
BEGIN
  INSERT OR IGNORE INTO search_pending (scene_rowid) VALUES (NEW.rowid);
END;

CREATE TRIGGER scenes_search_update AFTER UPDATE OF type, location, time, background, people ON scenes
  WHEN NOT EXISTS (SELECT 1 FROM search_deferral)
BEGIN
  UPDATE scene_search SET type = NEW.type, location = NEW.location, time = NEW.time, background = NEW.background,
    people = (SELECT coalesce(group_concat(value, ', '), '') FROM json_each(NEW.people))
  WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER scenes_search_update_deferred AFTER UPDATE OF type, location, time, background, people ON scenes
  WHEN EXISTS (SELECT 1 FROM search_deferral)
BEGIN
  INSERT OR IGNORE INTO search_pending (scene_rowid) VALUES (NEW.rowid);
END;

CREATE TRIGGER scenes_signature_stale AFTER UPDATE OF location, background ON scenes
  WHEN NEW.dedupe_signature IS NOT NULL
    AND (NEW.location IS NOT OLD.location OR NEW.background IS NOT OLD.background)
BEGIN
  UPDATE scenes SET dedupe_signature = NULL WHERE rowid = NEW.rowid;
END;

CREATE VIEW experience_written (scene_id, background, turns, call_id) AS SELECT NULL, NULL, NULL, NULL WHERE 0;
