-- What every progress event of a job reads beside its row (jobs/job-view.ts): its interrupted
-- calls, its items' recent failures and its noted items. Found through `llm_calls_job` and the
-- job's items, each read every call or item of the job (a job of 185 items: ~600 rows an event,
-- ~20 events). These partial indexes hold only the rows those reads want (an interrupted call, an
-- item with an error), so an event reads those alone, and a write whose row has neither pays
-- nothing more.
CREATE INDEX llm_calls_interrupted ON llm_calls (job_id) WHERE status = 'interrupted';
CREATE INDEX job_items_with_error ON job_items (job_id, status, updated_at) WHERE error IS NOT NULL;
