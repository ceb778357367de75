// Judging the paper's 82 single-turn answers of the trained Beethoven (the released
// `Beethoven_sft` outputs, ../shared/fixtures) on the four single-turn dimensions: one `judge` job
// through the real Studio in this process, against the fake OpenAI-compatible server in its own
// process (its CPU not counted) answering every judge prompt after 300 ms, at a provider
// concurrency of 8.
//
// Figures, each `{ value, goal, unit }` where it has a goal:
// - `wallMs` against `idealMs` = ceil(82 × 4 / 8) × 300 ms (every call 300 ms, 8 at a time);
//   `ratioToIdeal` is their quotient (goal 1.1).
// - `costUsd`: what the job recorded, at the price table's rate for the model the fake server says
//   answered (`gpt-4o-mini`'s, as a judge a researcher would pick), tokens counted by the server.
// - `cpuMsPerJudgment`: this process's CPU over the job per judgment stored.
import path from 'node:path';
import { startFakeServerProcess } from '../support/fake-server-process';
import type { JudgeJob } from '../../common/contract';
import { paperSystems } from '../support/eval-seed';
import { beethovenWithProfile, call, makeStudio } from '../support/studio';

const LATENCY_MS = 300;
const CONCURRENCY = 8;
const DIMENSIONS = 4;

async function measure(baseURL: string, answers: number) {
  const env = makeStudio();
  try {
    const characterId = await beethovenWithProfile(env.studio);
    const provider = await call(env.studio, 'providers/create', {
      name: 'Fake',
      preset: 'custom',
      baseUrl: baseURL,
      model: 'gpt-4o-mini',
      modelPath: '',
      apiKey: 'bench',
      maxConcurrency: CONCURRENCY,
      requestsPerMinute: 0,
      timeoutMs: 60_000,
      structuredOutput: false,
    });
    const { Beethoven_sft: sft } = await paperSystems(env.studio, characterId, ['Beethoven_sft'], answers);
    const system = sft.system;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const job = await call(env.studio, 'eval/judge/start', {
      characterId,
      providerId: provider.id,
      systemIds: [system.id],
    });
    const done = (await env.studio.jobs.whenIdle(job.id)) as JudgeJob;
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    if (done.status !== 'succeeded') throw new Error(`the judge job ended ${done.status}: ${done.message}`);
    const judgments = await call(env.studio, 'eval/judgments/list', { characterId });
    const calls = judgments.reduce((n, j) => n + j.callIds.length, 0);
    const ideal = Math.ceil((answers * DIMENSIONS) / CONCURRENCY) * LATENCY_MS;
    return {
      answers,
      dimensions: DIMENSIONS,
      concurrency: CONCURRENCY,
      latencyMs: LATENCY_MS,
      judgments: judgments.length,
      unscored: judgments.filter((j) => j.score === null).length,
      calls,
      wallMs: Math.round(wallMs),
      idealMs: ideal,
      ratioToIdeal: { value: Number((wallMs / ideal).toFixed(3)), goal: 1.1, unit: '× ideal' },
      costUsd: { value: Number(done.costUsd.toFixed(6)), goal: null, unit: 'USD (gpt-4o-mini prices)' },
      promptTokens: done.promptTokens,
      completionTokens: done.completionTokens,
      cpuMsPerJudgment: {
        value: Number(((cpu.user + cpu.system) / 1000 / Math.max(1, judgments.length)).toFixed(2)),
        goal: 5,
        unit: 'ms CPU per judgment',
      },
    };
  } finally {
    await env.studio.shutdown();
    env.cleanup();
  }
}

export async function run(): Promise<object> {
  const server = await startFakeServerProcess(path.join(path.dirname(process.argv[1] ?? '.'), 'fake-server-main.mjs'), {
    FAKE_LATENCY_MS: String(LATENCY_MS),
    FAKE_RESPONDER: 'judge',
    FAKE_MODELS: 'gpt-4o-mini',
  });
  try {
    await measure(server.baseURL, 8); // warm-up: JIT, sockets, SQLite
    return { beethoven82Single: await measure(server.baseURL, 82) };
  } finally {
    server.stop();
  }
}
