import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, InterviewJob, ProviderId } from '../../../common/contract';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { fixture } from '../../support/paths';
import { beethovenWithFakeProvider, call, callError, makeStudio } from '../../support/studio';

// The provider an evaluation step calls when none is chosen, on a character with no job yet:
// with one provider configured, that one (the screens pick it; `questions generate`, `interview
// --mode multi` and `judge` without --provider were refused until the character had a job); with
// several, a refusal that names them and says how to choose.

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let characterId: CharacterId;
let providerId: ProviderId;

beforeAll(async () => {
  env = makeStudio();
  server = await startFakeLlmServer({
    responder: (req) => {
      const user = req.messages.at(-1)!.content;
      const n = /holding exactly (\d+) strings/.exec(user)?.[1];
      if (n) return JSON.stringify({ questions: Array.from({ length: Number(n) }, (_, i) => `Question ${i + 1}?`) });
      return 'Man: And then?';
    },
  });
  ({ characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL));
}, 60_000);
afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
  await server?.close();
});

describe('with the only provider configured and no job yet', () => {
  it('writes questions with it', async () => {
    const detail = await call(env.studio, 'eval/questions/generate', { characterId, perTopic: 1 });
    expect(detail.set.source).toMatch(/^Fake · fake-model/);
  });

  it('interviews multi-turn with it as the interviewer', async () => {
    const system = await call(env.studio, 'eval/systems/create', {
      characterId,
      kind: 'prompted',
      answerer: { runtime: 'endpoint', providerId, model: 'fake-model', runId: null },
    });
    const set = await call(env.studio, 'eval/questions/create', {
      characterId,
      name: 'Goals',
      questions: [{ topicId: 'topic-2', text: 'find out about his brothers', mode: 'multi' }],
    });
    const job: InterviewJob = await call(env.studio, 'eval/interviews/start', {
      characterId,
      systemIds: [system.id],
      setId: set.set.id,
      rounds: 1,
    });
    expect(job.settings.providerId).toBe(providerId);
  });

  it('judges with it', async () => {
    const other = await call(env.studio, 'characters/create', {
      fullName: 'Ludwig van Beethoven (paper)',
      shortName: 'Paper',
      era: '',
      notes: '',
    });
    const imported = await call(env.studio, 'eval/import-outputs', {
      paths: [fixture('interview_single/Beethoven_sft.json')],
      map: { Beethoven: other.id },
    });
    expect(imported.systems).toHaveLength(1);
    const job = await call(env.studio, 'eval/judge/start', { characterId: other.id, dimensions: ['values'] });
    expect(job.settings.providerId).toBe(providerId);
  });
});

describe('with two providers and no job yet', () => {
  it('asks which, naming them', async () => {
    await call(env.studio, 'providers/create', {
      name: 'Second',
      preset: 'custom',
      baseUrl: server.baseURL,
      model: 'fake-model',
      modelPath: '',
      apiKey: 'test-key',
      maxConcurrency: 1,
      requestsPerMinute: 0,
      timeoutMs: 5_000,
      structuredOutput: true,
    });
    const fresh = await call(env.studio, 'characters/create', {
      fullName: 'Joseph Haydn',
      shortName: 'Haydn',
      era: '',
      notes: '',
    });
    await call(env.studio, 'profiles/import', {
      characterId: fresh.id,
      text: '# Joseph Haydn\n\nJoseph Haydn was an Austrian composer.',
    });
    const error = await callError(env.studio, 'eval/questions/generate', { characterId: fresh.id, perTopic: 1 });
    expect(error).toMatchObject({ code: 'invalid_argument' });
    expect(error.message).toBe(
      'Choose the provider to write the questions with (--provider at the command line): this character has no earlier job to take one from, and there are 2: "Fake", "Second".',
    );
  });
});
