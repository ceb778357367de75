-- Evaluation (issue 12): question sets, the systems that answer them and their interviews (the
-- paper's protocol, METHOD.md §3). Types: common/contract/eval.ts. The judge's tables (judgments,
-- pairwise comparisons) come in migration 018 and key on interviews.id.

-- A set of questions for one character. Editing never overwrites: each save is a new version
-- (question_set_versions) with its own copy of the questions, so an interview's question stays
-- readable as it was asked. `archived_at` hides a set from lists without losing anything.
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
CREATE INDEX question_sets_character ON question_sets (character_id, created_at);

CREATE TABLE question_set_versions (
  set_id TEXT NOT NULL REFERENCES question_sets (id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  note TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (set_id, version)
);

-- The questions of one version of a set, in `position` order. `key` is the same question across
-- versions (a rewording keeps it). For mode 'multi' the text is the goal the interviewer pursues.
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

-- What answers: a trained run, a base model, a prompted baseline, or answers imported from a file.
-- `answerer` (EvalAnswerer as JSON: runtime + run or provider and model) and `sampling` are NULL for
-- 'imported'. No foreign key to runs or providers: deleting one leaves its interviews readable.
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
CREATE UNIQUE INDEX eval_systems_label ON eval_systems (character_id, label);

-- One system interviewed on one question in one mode: an interview job's item (job_items.key =
-- 'interview:' || id). `rounds` is what was planned (1 for single-turn). Imported interviews have
-- no job. Question text, topic and set version are copied so lists and reports need no join.
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
CREATE INDEX interviews_character ON interviews (character_id, system_id, mode);
CREATE INDEX interviews_job ON interviews (job_id);

-- The turns of an interview in `seq` order. A round holds the interviewer's question and the
-- character's answer (its thinking and speaking turns apart); an imported round may hold several
-- turns or a thought only. `raw_action` keeps an odd label as written ('((speaking)'); `nonstop`:
-- the text ended with <|NONSTOP|> (removed from `text`) or was cut at the token limit. `source`:
-- file:line of an import. `call_id`: the llm_calls record of a turn an LLM made.
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
CREATE INDEX interview_turns_round ON interview_turns (interview_id, round);
