-- The judge (issue 12): scores of interviews on the paper's dimensions and pairwise comparisons of
-- two systems' interviews on the same question. Types: common/contract/eval-judge.ts.

-- One interview scored on one dimension by one judge model with one prompt version. `score` NULL is
-- UNSCORED: every ask was unreadable (`failures`, JSON JudgeFailure[], says why), never a guess.
-- Another judge model or prompt version adds a row; the same one is never asked twice.
-- `call_ids`: JSON array of llm_calls ids, every ask in order.
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
CREATE INDEX judgments_character ON judgments (character_id, dimension);
CREATE INDEX judgments_job ON judgments (job_id);

-- Two systems' interviews on the same question compared on one dimension, asked in both orders:
-- `ab_*` with A's answer shown first, `ba_*` with B's first. `*_side` is what that order says once
-- the swap is undone ('a', 'b', 'tie'); NULL while not asked or when every ask was unreadable
-- (`*_failures` non-empty). The pair's outcome is derived from both sides when read.
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
CREATE INDEX pairwise_judgments_systems ON pairwise_judgments (character_id, system_a, system_b);
