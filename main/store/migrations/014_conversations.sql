-- Stored conversations with trained characters (issue 11, point 5). A conversation is a tree of
-- messages: `parent_id` NULL for the first message, and the children of one message are its
-- alternatives (a regenerated reply, an edit, a branch), in `seq` order. `leaf_id` is the message at
-- the end of the path the user looks at. Titles and message texts are searchable (chat_search, FTS5).
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
);
CREATE INDEX conversations_character ON conversations (character_id, updated_at);

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
CREATE INDEX chat_messages_parent ON chat_messages (conversation_id, parent_id, seq);
CREATE INDEX chat_messages_scene ON chat_messages (scene_id) WHERE scene_id IS NOT NULL;

-- One row per message (rowid = the message's rowid) and per title (rowid = minus the
-- conversation's rowid), kept by the triggers below, so every upkeep is a lookup by rowid.
CREATE VIRTUAL TABLE chat_search USING fts5 (
  body,
  conversation_id UNINDEXED,
  message_id UNINDEXED,
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
  INSERT INTO chat_search (rowid, body, conversation_id, message_id) VALUES (-new.rowid, new.title, new.id, NULL);
END;
CREATE TRIGGER conversations_search_update AFTER UPDATE OF title ON conversations BEGIN
  UPDATE chat_search SET body = new.title WHERE rowid = -old.rowid;
END;
CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
  DELETE FROM chat_search WHERE rowid = -old.rowid;
END;
CREATE TRIGGER chat_messages_search_insert AFTER INSERT ON chat_messages BEGIN
  INSERT INTO chat_search (rowid, body, conversation_id, message_id)
  VALUES (new.rowid, new.text || coalesce(' ' || new.reasoning, ''), new.conversation_id, new.id);
END;
CREATE TRIGGER chat_messages_search_update AFTER UPDATE OF text, reasoning ON chat_messages BEGIN
  UPDATE chat_search SET body = new.text || coalesce(' ' || new.reasoning, '') WHERE rowid = old.rowid;
END;
CREATE TRIGGER chat_messages_search_delete AFTER DELETE ON chat_messages BEGIN
  DELETE FROM chat_search WHERE rowid = old.rowid;
END;
