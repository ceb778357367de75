-- A conversation's sampling settings (issue 11, point 4: the settings of an existing conversation),
-- used for its next replies: ChatSamplingSettings (common/contract/chat.ts) as JSON. Conversations
-- made before get the paper's inference settings, DEFAULT_CHAT_SAMPLING in
-- main/core/runtimes/chat-runtime.ts (a unit test holds the two equal). Each reply keeps recording
-- the settings that produced it in its own `producer`.
ALTER TABLE conversations ADD COLUMN sampling TEXT NOT NULL DEFAULT '{"temperature":0.2,"topP":0.95,"maxTokens":256}';
