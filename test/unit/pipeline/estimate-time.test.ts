import { describe, expect, it } from 'vitest';
import type { CharacterId, ProviderId, StageEstimate } from '../../../common/contract';
import { estimateTime } from '../../../main/core/pipeline/estimate-time';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { studioResponder } from '../../support/studio-responder';
import {
  beethovenWithFakeProvider,
  call,
  generationSettings,
  type makeStudio,
  studioForEachTest,
} from '../../support/studio';

const stages: StageEstimate[] = [
  { stage: 'scenes', calls: 10, promptTokens: 5_000, completionTokens: 9_000 },
  { stage: 'experiences', calls: 100, promptTokens: 60_000, completionTokens: 180_000 },
];

describe('the time a generation run is estimated to take', () => {
  it('takes a typical speed for the kind of provider until enough answers were measured', () => {
    // 110 requests × 1.5 s of overhead + 189,000 tokens at 25 tokens/s, 4 at a time.
    expect(estimateTime(stages, 4, 'local', 'llama3', null)).toEqual({
      seconds: Math.ceil((110 * 1.5 + 189_000 / 25) / 4),
      basis: 'typical of a local server (25 tokens/s a request) until a run measures llama3',
    });
    const few = { calls: 4, completionTokens: 4_000, latencyMs: 2_000 };
    expect(estimateTime(stages, 4, 'hosted', 'gpt-4o-mini', few).basis).toMatch(
      /^typical of a hosted API \(60 tokens\/s/,
    );
  });

  it('takes the pace of the provider’s latest answers once there are enough, their overhead included', () => {
    // 200 answers of 1,000 tokens in 20 s each: 50 tokens/s a request, 0.02 s a token.
    const pace = { calls: 200, completionTokens: 200_000, latencyMs: 4_000_000 };
    expect(estimateTime(stages, 4, 'local', 'llama3', pace)).toEqual({
      seconds: Math.ceil((189_000 * 0.02) / 4),
      basis: 'measured: 50 tokens/s a request over the last 200 answers of llama3',
    });
  });
});

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
studioForEachTest(
  (opened) => (env = opened),
  () => server?.close(),
);

describe('a generation estimate after a run', () => {
  it('is timed by what that provider and model took, and another provider’s is not', async () => {
    server = await startFakeLlmServer({ responder: studioResponder(), latencyMs: 20 });
    const { characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL);
    const estimate = (id: ProviderId, characterOf: CharacterId = characterId) =>
      call(env.studio, 'generation/estimate', {
        characterId: characterOf,
        settings: generationSettings(id, { targetScenes: 400, scenesPerCall: 10 }),
      });
    const before = await estimate(providerId);
    expect(before.timeBasis).toBe('typical of a hosted API (60 tokens/s a request) until a run measures fake-model');

    const job = await call(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 12, scenesPerCall: 4 }),
    });
    expect((await env.studio.generation.whenIdle(job.id)).status).toBe('succeeded');

    const after = await estimate(providerId);
    expect(after.timeBasis).toMatch(/^measured: [\d,]+ tokens\/s a request over the last \d+ answers of fake-model$/);
    // The fake answers in tens of ms, hundreds of times faster than a typical hosted API.
    expect(after.seconds).toBeLessThan(before.seconds / 10);

    const other = await call(env.studio, 'providers/create', {
      name: 'Other',
      preset: 'custom',
      baseUrl: server.baseURL,
      model: 'fake-model',
      modelPath: '',
      apiKey: 'k',
      maxConcurrency: 4,
      requestsPerMinute: 0,
      timeoutMs: 5_000,
      structuredOutput: true,
    });
    expect((await estimate(other.id)).timeBasis).toMatch(/^typical of a hosted API/);
  });
});
