-- Calls of a job that a metered provider (OpenAI, OpenRouter, a custom endpoint) answered with a
-- model that has no price set: their tokens are in the job's totals, their cost is not, so the
-- job's cost is a lower bound (shown as such) rather than a misleading $0. Counted for earlier jobs
-- whose provider still exists and is metered.
ALTER TABLE jobs ADD COLUMN unpriced_calls INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET unpriced_calls = (
  SELECT count(*) FROM llm_calls c
  WHERE c.job_id = jobs.id AND c.status = 'done' AND c.cost_usd IS NULL
    AND (c.prompt_tokens IS NOT NULL OR c.completion_tokens IS NOT NULL))
WHERE EXISTS (
  SELECT 1 FROM providers p
  WHERE p.id = json_extract(jobs.settings, '$.providerId') AND p.preset IN ('openai', 'openrouter', 'custom'));
