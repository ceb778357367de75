import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, EvalSystem, InterviewId, JudgeJob, ProviderId, Question } from '../../../common/contract';
import { JUDGE_PROMPT_VERSION, PAIRWISE_PROMPT_VERSION } from '../../../main/core/eval/judge-prompts';
import { paperAnswers, paperSystems, questionSet, seedSystem } from '../../support/eval-seed';
import {
  startFakeLlmServer,
  type FakeChatRequest,
  type FakeLlmServer,
  type FakeReply,
} from '../../support/fake-llm-server';
import {
  answersOf,
  dimensionOf,
  interactionOf,
  isJudgeRequest,
  isPairwiseRequest,
  judgeResponder,
  verdictText,
  type JudgeScript,
} from '../../support/judge-responder';
import { addFakeProvider, beethovenWithProfile, call, callError, makeStudio } from '../../support/studio';

// Judge and pairwise jobs on a real studio (real SQLite, the generic job engine, the LLM gateway)
// against the fake OpenAI-compatible server as the judge: one call per interview and dimension at
// temperature 0, answers read strictly (prose around the score is a recorded failure, asked again a
// bounded number of times, then unscored), re-judging with another model keeps both, a killed job
// resumes without asking twice, and a pairwise comparison asks every pair in both orders and undoes
// the swap when it reads the verdict.

const SINGLE = 4;
let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let script: JudgeScript = {};
let characterId: CharacterId;
let providerId: ProviderId;
let sft: { system: EvalSystem; interviews: InterviewId[] };
let chatgpt: { system: EvalSystem; interviews: InterviewId[] };

function judgeRequests(): FakeChatRequest[] {
  return server.requests.flatMap((r) => (r.chat && isJudgeRequest(r.chat) ? [r.chat] : []));
}

/** Resolves once `condition` holds, checking every few milliseconds (for state no event reports). */
async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function finished(job: JudgeJob): Promise<JudgeJob> {
  return (await env.studio.jobs.whenIdle(job.id)) as JudgeJob;
}

beforeEach(async () => {
  script = {};
  server = await startFakeLlmServer({
    models: ['fake-model', 'judge-2'],
    responder: (req) => judgeResponder(script)(req),
  });
  env = makeStudio();
  characterId = await beethovenWithProfile(env.studio);
  providerId = await addFakeProvider(env.studio, server.baseURL);
  const seeded = await paperSystems(env.studio, characterId, ['Beethoven_sft', 'Beethoven_chatgpt'], SINGLE, (n) =>
    n === 'Beethoven_sft' ? 'sft' : 'chatgpt',
  );
  sft = seeded.Beethoven_sft;
  chatgpt = seeded.Beethoven_chatgpt;
});
afterEach(async () => {
  await env.studio.shutdown();
  env.cleanup();
  await server.close();
});

describe('judge jobs', () => {
  it('asks one call per interview and applicable dimension at temperature 0, and stores each score with its judge', async () => {
    const goals: Question[] = await questionSet(env.studio, characterId, 'Goals', [
      { topicId: 'topic-1', text: 'Find out how he lost his hearing.', mode: 'multi' },
    ]);
    const multi = await seedSystem(env.studio, characterId, 'multi', goals, [
      [
        {
          character: [
            { action: 'thinking', text: 'He asks about my ears again.' },
            { action: 'speaking', text: 'It began in Vienna.' },
          ],
        },
        { interviewer: 'When?', character: [{ action: 'speaking', text: 'Around 1798.' }] },
      ],
    ]);
    const job = await call(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      systemIds: [sft.system.id, multi.system.id],
    });
    expect(job.kind).toBe('judge');
    const done = await finished(job);
    expect(done.status).toBe('succeeded');
    // 4 single-turn interviews × 4 dimensions, 1 multi-turn interview × 5 (stability too).
    expect(done.total).toBe(SINGLE * 4 + 5);
    const requests = judgeRequests();
    expect(requests).toHaveLength(SINGLE * 4 + 5);
    expect(requests.every((r) => r.temperature === 0)).toBe(true);
    const stability = requests.filter((r) => dimensionOf(r) === 'stability');
    expect(stability).toHaveLength(1);
    // What the judge reads: the first profile paragraph, the setting, the interaction with thoughts marked.
    const user = stability[0]!.messages[1]!.content;
    expect(user).toContain('was a German composer and pianist');
    expect(user).not.toContain('# Ludwig van Beethoven');
    expect(user).toContain('Location: Coffee Shop - Afternoon');
    expect(interactionOf(stability[0]!)).toBe(
      'Man (speaking): Find out how he lost his hearing.\nBeethoven (thinking): He asks about my ears again.\nBeethoven (speaking): It began in Vienna.\nMan (speaking): When?\nBeethoven (speaking): Around 1798.',
    );
    const judgments = await call(env.studio, 'eval/judgments/list', { characterId });
    expect(judgments).toHaveLength(SINGLE * 4 + 5);
    for (const j of judgments) {
      expect(j).toMatchObject({
        model: 'fake-model',
        provider: 'Fake',
        promptVersion: JUDGE_PROMPT_VERSION,
        jobId: job.id,
      });
      expect(j.score).toBeGreaterThanOrEqual(1);
      expect(j.score).toBeLessThanOrEqual(7);
      expect(j.reasoning).toMatch(/^Step by step/);
      expect(j.callIds).toHaveLength(1);
      expect(j.failures).toEqual([]);
    }
    // The summary is the mean of the stored scores per system, mode and dimension.
    const summary = await call(env.studio, 'eval/judgments/summary', { characterId });
    expect(summary).toHaveLength(4 + 5);
    for (const row of summary) {
      const cell = judgments.filter((j) => j.systemId === row.systemId && j.dimension === row.dimension);
      const mean = cell.reduce((n, j) => n + j.score!, 0) / cell.length;
      expect(row).toMatchObject({ scored: cell.length, unscored: 0, model: 'fake-model' });
      expect(row.mean).toBeCloseTo(mean, 10);
    }
    expect(done.costUsd).toBeGreaterThanOrEqual(0);
    expect(done.promptTokens).toBeGreaterThan(0);
  });

  it('records prose around the score as a failure, asks again with the reason, and keeps the readable score', async () => {
    let asked = 0;
    script.score = (req) => {
      asked++;
      return req.messages.length === 2
        ? 'He speaks of Neefe and Bonn with real detail. I would give this answer a 6.'
        : verdictText('As I said: detailed and true.', 6);
    };
    const job = await call(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      systemIds: [sft.system.id],
      dimensions: ['memorization'],
    });
    expect((await finished(job)).status).toBe('succeeded');
    expect(asked).toBe(SINGLE * 2);
    const repair = judgeRequests().find((r) => r.messages.length === 4)!;
    expect(repair.messages[2]).toMatchObject({ role: 'assistant', content: expect.stringContaining('a 6.') });
    expect(repair.messages[3]!.content).toMatch(/could not be read: The score is wrapped in words/);
    const [j] = await call(env.studio, 'eval/judgments/list', { characterId, interviewId: sft.interviews[0] });
    expect(j).toMatchObject({ score: 6, reasoning: 'As I said: detailed and true.' });
    expect(j!.failures).toEqual([expect.objectContaining({ attempt: 1, reason: 'prose', callId: j!.callIds[0] })]);
    expect(j!.callIds).toHaveLength(2);
  });

  it('stores the judgment UNSCORED, never a number, once the retries are spent; the retry bound is the setting', async () => {
    // Each ask of a judgment is answered worse in another way: prose, out of range, cut off.
    script.score = (req): FakeReply => {
      const earlier = req.messages[2]?.content ?? '';
      if (earlier === '') return 'A thoughtful answer. Score: about 5 or so';
      if (earlier.includes('about 5')) return verdictText('Hmm.', 9);
      return {
        text: 'He recalls his first teacher, the court organist Christian Gottlob Neefe, and',
        finishReason: 'length',
      };
    };
    const job = await call(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      systemIds: [sft.system.id],
      dimensions: ['values'],
    });
    const done = await finished(job);
    // Not one verdict read: the job fails, saying so, and keeps every judgment with its reasons.
    expect(done.status).toBe('failed');
    expect(done.message).toMatch(/No verdict could be scored: none of the judge's 4 answers could be read/);
    expect(done.notedItems).toBe(SINGLE);
    expect(judgeRequests()).toHaveLength(SINGLE * 3);
    const judgments = await call(env.studio, 'eval/judgments/list', { characterId });
    expect(judgments).toHaveLength(SINGLE);
    const [row] = (await call(env.studio, 'eval/judgments/summary', { characterId })).filter(
      (r) => r.model === 'fake-model',
    );
    expect(row).toMatchObject({ mean: null, scored: 0, unscored: SINGLE });
    for (const j of judgments) {
      expect(j.score).toBeNull();
      expect(j.callIds).toHaveLength(3);
      expect(j.failures.map((f) => f.reason).sort()).toEqual(['cut_off', 'out_of_range', 'prose']);
    }
    // No retries: one ask each.
    const before = judgeRequests().length;
    const once = await call(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      model: 'judge-2',
      systemIds: [chatgpt.system.id],
      dimensions: ['values'],
      maxRetries: 0,
    });
    await finished(once);
    expect(judgeRequests().length - before).toBe(SINGLE);
  });

  it('keeps both judgments when another judge model re-judges, and refuses to ask the same judge twice', async () => {
    const request = { characterId, providerId, systemIds: [sft.system.id], dimensions: ['personality' as const] };
    await finished(await call(env.studio, 'eval/judge/start', request));
    await finished(await call(env.studio, 'eval/judge/start', { ...request, model: 'judge-2' }));
    const judgments = await call(env.studio, 'eval/judgments/list', { characterId, interviewId: sft.interviews[0] });
    expect(judgments.map((j) => j.model).sort()).toEqual(['fake-model', 'judge-2']);
    expect(new Set(judgeRequests().map((r) => r.model))).toEqual(new Set(['fake-model', 'judge-2']));
    const again = await callError(env.studio, 'eval/judge/start', request);
    expect(again.code).toBe('not_found');
    expect(again.message).toMatch(/Nothing left to judge.*fake-model.*another judge model/);
  });

  it('refuses bad requests with what to do', async () => {
    const same = await callError(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      pairwise: { a: sft.system.id, b: sft.system.id },
    });
    expect(same.message).toMatch(/two different systems/);
    const unknown = await callError(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      systemIds: ['nope'],
    });
    expect(unknown).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no evaluation system "nope"/) });
    const dimension = await callError(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      dimensions: ['charm'],
    });
    expect(dimension.code).toBe('invalid_argument');
    // The judge's endpoint bills and judge-3 has no price: a budget could not be kept.
    const budget = await callError(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      model: 'judge-3',
      systemIds: [sft.system.id],
      budgetUsd: 1,
    });
    expect(budget).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/judge-3 .* has none/) });
  });

  it('resumes a job whose process died without asking a finished judgment again', async () => {
    // The first studio's calls after the third never end, as calls out when a process is killed.
    let hang = true;
    let arrivals = 0;
    let hung = 0;
    script.score = async (req) => {
      if (hang && arrivals++ >= 3) {
        hung++;
        await new Promise<never>(() => undefined);
      }
      return judgeResponder()(req);
    };
    const job = await call(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      systemIds: [sft.system.id],
      dimensions: ['memorization', 'values'],
    });
    // Three judgments stored, and as many asks out as the provider allows (4): the first studio sends nothing more.
    await until(
      async () => hung === 4 && (await call(env.studio, 'eval/judgments/list', { characterId })).length === 3,
    );
    // The process dies: its runner is gone (a pid no machine has) and nothing more is written.
    env.studio.db.prepare(`UPDATE jobs SET runner = ? WHERE id = ?`).run(`4194305@${os.hostname()}`, job.id);
    const again = makeStudio(env.dir);
    hang = false;
    try {
      const interrupted = await call(again.studio, 'jobs/get', { id: job.id });
      expect(interrupted.status).toBe('interrupted');
      expect(interrupted.done).toBe(3);
      const askedBefore = judgeRequests().length;
      await call(again.studio, 'jobs/resume', { id: job.id });
      const done = (await again.studio.jobs.whenIdle(job.id)) as JudgeJob;
      expect(done.status).toBe('succeeded');
      expect(done.done).toBe(SINGLE * 2);
      // Only the 5 unfinished judgments were asked again.
      expect(judgeRequests().length - askedBefore).toBe(SINGLE * 2 - 3);
      const judgments = await call(again.studio, 'eval/judgments/list', { characterId });
      expect(judgments).toHaveLength(SINGLE * 2);
      expect(new Set(judgments.map((j) => `${j.interviewId}:${j.dimension}`)).size).toBe(SINGLE * 2);
    } finally {
      await again.studio.shutdown();
    }
  });
});

describe('pairwise jobs', () => {
  it('asks every pair in both orders and undoes the swap when reading the verdict', async () => {
    // The judge prefers ChatGPT's answer wherever it is shown.
    const chatgptTexts = paperAnswers('Beethoven_chatgpt')
      .slice(0, SINGLE)
      .map((a) => (Array.isArray(a.reply) ? a.reply[0]!.content : a.reply.content));
    script.pairwise = (_req, first) =>
      verdictText('The ChatGPT answer gives more.', chatgptTexts.some((t) => first.includes(t)) ? '1' : '2');
    // A question stored in another case and spacing by one system is still the same question.
    const retyped = env.studio.db
      .prepare(`UPDATE interviews SET question = '  ' || upper(replace(question, ' ', '   ')) || ' ' WHERE id = ?`)
      .run(chatgpt.interviews[0]);
    expect(retyped.changes).toBe(1);
    const job = await call(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      pairwise: { a: sft.system.id, b: chatgpt.system.id },
      dimensions: ['memorization'],
    });
    // A comparison alone: no scores were asked for.
    expect(job.stages.map((s) => s.stage)).toEqual(['pairwise']);
    const done = await finished(job);
    expect(done.status).toBe('succeeded');
    expect(done.total).toBe(SINGLE * 2);
    const asked = judgeRequests().filter(isPairwiseRequest);
    expect(asked).toHaveLength(SINGLE * 2);
    // Each question is shown once with sft first and once with ChatGPT first.
    const sftFirst = asked.filter((r) => !chatgptTexts.some((t) => answersOf(r)[0].includes(t)));
    expect(sftFirst).toHaveLength(SINGLE);
    expect(asked.filter((r) => r.temperature === 0)).toHaveLength(SINGLE * 2);
    const pairs = await call(env.studio, 'eval/pairwise/list', { characterId });
    expect(pairs).toHaveLength(SINGLE);
    for (const p of pairs) {
      expect(p).toMatchObject({
        systemA: sft.system.id,
        systemB: chatgpt.system.id,
        promptVersion: PAIRWISE_PROMPT_VERSION,
      });
      expect(p.ab.side).toBe('b');
      expect(p.ba.side).toBe('b');
      expect(p.outcome).toBe('b');
    }
    const [summary] = await call(env.studio, 'eval/pairwise/summary', {
      characterId,
      systemA: sft.system.id,
      systemB: chatgpt.system.id,
    });
    expect(summary!.rates).toMatchObject({ pairs: SINGLE, unscored: 0, bWins: { count: SINGLE, rate: 1, high: 1 } });
    expect(summary!.rates.bWins.low).toBeGreaterThan(0.4);
  });

  it('a judge that always prefers the first answer shown makes every pair inconsistent', async () => {
    script.pairwise = () => verdictText('The first one is better.', '1');
    const job = await call(env.studio, 'eval/judge/start', {
      characterId,
      providerId,
      pairwise: { a: sft.system.id, b: chatgpt.system.id },
      dimensions: ['values'],
    });
    await finished(job);
    const pairs = await call(env.studio, 'eval/pairwise/list', { characterId });
    expect(pairs.map((p) => [p.ab.side, p.ba.side, p.outcome])).toEqual(
      Array.from({ length: SINGLE }, () => ['a', 'b', 'inconsistent']),
    );
    const [summary] = await call(env.studio, 'eval/pairwise/summary', {
      characterId,
      systemA: sft.system.id,
      systemB: chatgpt.system.id,
    });
    expect(summary!.rates.inconsistent).toMatchObject({ count: SINGLE, rate: 1 });
    expect(summary!.rates.aWins.count).toBe(0);
  });
});
