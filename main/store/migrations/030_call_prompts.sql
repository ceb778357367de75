-- A call attempt's prompt (its messages, several KB) in a row of its own, written once when the
-- attempt goes on record, instead of in its `llm_calls` row: completing the attempt rewrote that
-- whole row (SQLite writes a row whole), so every answer wrote its prompt's pages a second time,
-- a third of what a generation job wrote per call. Attempts recorded from now on keep '' in
-- `llm_calls.messages`; those recorded before keep their messages there, and readers take the
-- prompt row when there is one (call-records-repo.ts). Nothing is moved: the table is only added.
CREATE TABLE llm_call_prompts (
  call_rowid INTEGER PRIMARY KEY REFERENCES llm_calls (rowid_) ON DELETE CASCADE,
  messages TEXT NOT NULL
);
