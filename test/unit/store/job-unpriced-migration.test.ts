import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openDatabase } from '../../../main/store/database';
import { databaseBefore } from '../../support/old-database';
import { tempDir } from '../../support/paths';

// Migration 035 counts, for jobs made before it, the calls a metered provider answered with a
// model that had no price (tokens, no cost): those jobs then say "cost unknown", not "$0". Calls to
// a local server (free) and failed calls (no tokens) are not counted, nor jobs whose provider is gone.

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const SEED = `
INSERT INTO characters (id, full_name, short_name, created_at, updated_at) VALUES ('c', 'Ludwig van Beethoven', 'Beethoven', 1, 1);
INSERT INTO providers (id, name, kind, preset, base_url, model, created_at, updated_at) VALUES
  ('paid', 'Endpoint', 'openai-compatible', 'custom', 'http://x/v1', 'm', 1, 1),
  ('local', 'Ollama', 'openai-compatible', 'ollama', 'http://y/v1', 'm', 1, 1);
INSERT INTO jobs (id, character_id, kind, status, settings, cost_usd, created_at, updated_at) VALUES
  ('j-paid', 'c', 'generation', 'succeeded', '{"providerId":"paid"}', 0.25, 1, 1),
  ('j-local', 'c', 'generation', 'succeeded', '{"providerId":"local"}', 0, 1, 1),
  ('j-gone', 'c', 'generation', 'succeeded', '{"providerId":"deleted"}', 0, 1, 1);
INSERT INTO llm_calls (id, attempt, job_id, provider, model, params, messages, prompt_tokens, completion_tokens, cost_usd, latency_ms, error, started_at, status) VALUES
  ('a', 1, 'j-paid', 'openai-compatible:custom', 'm', '{}', '[]', 10, 20, NULL, 5, NULL, 1, 'done'),
  ('b', 1, 'j-paid', 'openai-compatible:custom', 'm', '{}', '[]', 10, 20, NULL, 5, NULL, 1, 'done'),
  ('c', 1, 'j-paid', 'openai-compatible:custom', 'm', '{}', '[]', 10, 20, 0.25, 5, NULL, 1, 'done'),
  ('d', 1, 'j-paid', 'openai-compatible:custom', 'm', '{}', '[]', NULL, NULL, NULL, 5, 'server: 500', 1, 'done'),
  ('e', 1, 'j-local', 'openai-compatible:ollama', 'm', '{}', '[]', 10, 20, NULL, 5, NULL, 1, 'done'),
  ('f', 1, 'j-gone', 'openai-compatible:custom', 'm', '{}', '[]', 10, 20, NULL, 5, NULL, 1, 'done');
`;

it('counts the unpriced calls of earlier jobs whose metered provider still exists', () => {
  const file = path.join(tmp.dir, 'studio.sqlite');
  databaseBefore(file, 'job_unpriced_calls', SEED).close();
  const db = openDatabase(file);
  const counts = Object.fromEntries(
    (db.prepare('SELECT id, unpriced_calls FROM jobs').all() as { id: string; unpriced_calls: number }[]).map((r) => [
      r.id,
      r.unpriced_calls,
    ]),
  );
  expect(counts).toEqual({ 'j-paid': 2, 'j-local': 0, 'j-gone': 0 });
  db.close();
});
