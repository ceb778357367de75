import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderDraft } from '../../../common/contract';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { call, callError, makeStudio } from '../../support/studio';

/** `providers/test` on a form's draft, before anything is saved (issue #8, point 10). */

const KEY = 'sk-the-right-key';
let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;

const draftFor = (patch: Partial<ProviderDraft> = {}): ProviderDraft => ({
  name: 'Local server',
  preset: 'custom',
  baseUrl: server.baseURL,
  model: '',
  modelPath: '',
  apiKey: KEY,
  maxConcurrency: 2,
  requestsPerMinute: 0,
  timeoutMs: 5000,
  structuredOutput: true,
  ...patch,
});

const chats = () => server.requests.filter((r) => r.chat !== null);

beforeEach(async () => {
  env = makeStudio();
  server = await startFakeLlmServer({ apiKey: KEY, models: ['qwen2.5-7b', 'llama3.1:8b'], responder: () => 'OK' });
});
afterEach(async () => {
  env.cleanup();
  await server.close();
});

describe('testing a provider before it is saved', () => {
  it('lists the models of a draft without a model, sends no completion and saves nothing', async () => {
    const check = await call(env.studio, 'providers/test', { draft: draftFor() });
    expect(check.ok).toBe(true);
    expect(check.models).toEqual(['qwen2.5-7b', 'llama3.1:8b']);
    expect(check.summary).toContain('2 models');
    expect(check.summary).toContain('Pick one');
    expect(chats()).toHaveLength(0);
    expect(await call(env.studio, 'providers/list', {})).toEqual([]);
  });

  it('tries a completion with the draft model and key once a model is picked', async () => {
    const check = await call(env.studio, 'providers/test', { draft: draftFor({ model: 'llama3.1:8b' }) });
    expect(check.ok).toBe(true);
    expect(check.steps.map((s) => [s.name, s.ok])).toEqual([
      ['list-models', true],
      ['model-available', true],
      ['completion', true],
    ]);
    expect(chats().map((r) => [r.chat?.model, r.authorized])).toEqual([['llama3.1:8b', true]]);
  });

  it('reports a wrong key in the draft as a failed check, not an error', async () => {
    const check = await call(env.studio, 'providers/test', { draft: draftFor({ apiKey: 'sk-wrong' }) });
    expect(check.ok).toBe(false);
    expect(check.summary).toMatch(/rejected the API key/);
  });

  it('uses the saved key while an edit of a saved provider leaves the key empty, and none when it removes it', async () => {
    const saved = await call(env.studio, 'providers/create', draftFor({ model: 'qwen2.5-7b' }));
    const { apiKey: _kept, ...edited } = draftFor({ model: 'llama3.1:8b' });
    const withSavedKey = await call(env.studio, 'providers/test', { id: saved.id, draft: edited });
    expect(withSavedKey.ok).toBe(true);
    expect(chats().at(-1)?.chat?.model).toBe('llama3.1:8b');

    const withoutKey = await call(env.studio, 'providers/test', { id: saved.id, draft: { ...edited, apiKey: '' } });
    expect(withoutKey.ok).toBe(false);
    // The test changed nothing that was saved.
    const [after] = await call(env.studio, 'providers/list', {});
    expect(after).toMatchObject({ model: 'qwen2.5-7b', hasApiKey: true });
    expect((await call(env.studio, 'providers/test', { id: saved.id })).ok).toBe(true);
  });

  it('reports a draft that points nowhere, and refuses a test of nothing', async () => {
    const check = await call(env.studio, 'providers/test', { draft: draftFor({ baseUrl: 'ftp://example' }) });
    expect(check.ok).toBe(false);
    expect(check.summary).toContain('is not a web address');
    const error = await callError(env.studio, 'providers/test', {});
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('draft');
  });

  it('still needs a model to save, and says how to find one', async () => {
    const error = await callError(env.studio, 'providers/create', draftFor());
    expect(error.message).toContain('Test connection');
    expect(await call(env.studio, 'providers/list', {})).toEqual([]);
  });
});
