-- The studio's name for the provider a call went to (a Settings provider's name, as it was then),
-- beside `provider`, the kind of endpoint (`openai-compatible:custom`, `embedded`). Null for calls
-- made before, and for those to a server the studio started itself (a trained run's `serve`).
ALTER TABLE llm_calls ADD COLUMN provider_label TEXT;
