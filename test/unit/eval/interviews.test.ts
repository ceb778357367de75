import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  CharacterId,
  EvalSystem,
  InterviewTranscript,
  ProviderId,
  QuestionSetDetail,
} from '../../../common/contract';
import {
  startFakeLlmServer,
  type FakeChatRequest,
  type FakeLlmServer,
  type FakeReply,
} from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';
import { beethovenWithFakeProvider, call, callError, fakeProviderDraft, makeStudio } from '../../support/studio';

// Interview jobs on a real studio (real SQLite, the generic job engine, the LLM gateway) against two
// scripted OpenAI-compatible servers: one plays the LLM interviewer, the other a prompted baseline
// (an endpoint interviewee). Single-turn asks each question in a fresh conversation; multi-turn runs
// its rounds with the interviewer at 0.2; thoughts are stored apart from speech; an interviewee that
// dies mid-interview, and a studio stopped mid-round, both resume the interview at that round.

let dir: ReturnType<typeof tempDir>;
let env: ReturnType<typeof makeStudio>;
let interviewer: FakeLlmServer;
let interviewee: FakeLlmServer;
let characterId: CharacterId;
let interviewerId: ProviderId;
let intervieweeId: ProviderId;
let system: EvalSystem;
let set: QuestionSetDetail;

/** Holds interviewee requests from the `round`-th question on: `entered` resolves when one arrives. */
let hold: { round: number; entered: () => void; released: Promise<void> } | null = null;

function roundOf(req: FakeChatRequest): number {
  return req.messages.filter((m) => m.role === 'user').length;
}

function interviewerReply(req: FakeChatRequest): string {
  const user = req.messages.at(-1)!.content;
  const round = /question for round (\d+) of/.exec(user)?.[1] ?? '?';
  const goal = /Your goal for this conversation: (.+)/.exec(user)?.[1] ?? '?';
  return `Man: "Round ${round}: tell me, ${goal}"`;
}

async function intervieweeReply(req: FakeChatRequest): Promise<FakeReply> {
  if (req.model === 'silent-model') return '';
  if (hold && roundOf(req) >= hold.round) {
    hold.entered();
    await hold.released;
  }
  const question = req.messages.at(-1)!.content;
  return { text: `As for "${question}", I answer plainly.`, reasoning: `He asks: ${question}` };
}

async function startInterviewee(port = 0): Promise<FakeLlmServer> {
  return startFakeLlmServer({ port, responder: intervieweeReply, models: ['fake-model', 'silent-model'] });
}

function speech(t: InterviewTranscript, role: 'interviewer' | 'character'): string[] {
  return t.turns.filter((x) => x.role === role && x.action === 'speaking').map((x) => x.text);
}

beforeAll(async () => {
  dir = tempDir('cs-interviews-');
  env = makeStudio(dir.dir);
  interviewer = await startFakeLlmServer({ responder: interviewerReply });
  interviewee = await startInterviewee();
  ({ characterId, providerId: interviewerId } = await beethovenWithFakeProvider(env.studio, interviewer.baseURL));
  intervieweeId = (
    await call(env.studio, 'providers/create', { ...fakeProviderDraft(interviewee.baseURL), name: 'Baseline' })
  ).id;
  system = await call(env.studio, 'eval/systems/create', {
    characterId,
    kind: 'prompted',
    answerer: { runtime: 'endpoint', providerId: intervieweeId, model: 'fake-model', runId: null },
  });
  set = await call(env.studio, 'eval/questions/create', {
    characterId,
    name: 'Small',
    questions: [
      { topicId: 'topic-1', text: 'Where were you born?', mode: 'single' },
      { topicId: 'topic-2', text: 'What do you think of your father?', mode: 'single' },
      { topicId: 'topic-4', text: 'What is your favourite film?', mode: 'single' },
      { topicId: 'topic-3', text: 'find out what he thought of Napoleon', mode: 'multi' },
    ],
  });
}, 60_000);
afterAll(async () => {
  await env?.studio.shutdown();
  env?.studio.close();
  dir?.cleanup();
  await interviewer?.close();
  await interviewee?.close();
});
beforeEach(() => {
  hold = null;
});

async function runToEnd(mode: 'single' | 'multi', rounds?: number) {
  const job = await call(env.studio, 'eval/interviews/start', {
    characterId,
    systemIds: [system.id],
    setId: set.set.id,
    mode,
    interviewerProviderId: interviewerId,
    ...(rounds !== undefined && { rounds }),
  });
  const done = await env.studio.jobs.whenIdle(job.id);
  const interviews = await call(env.studio, 'eval/interviews/list', { characterId, jobId: job.id });
  const transcripts = await Promise.all(interviews.map((i) => call(env.studio, 'eval/interviews/get', { id: i.id })));
  return { job: done, transcripts };
}

describe('single-turn interviews', () => {
  it('asks each question once in a fresh conversation in the paper setting; thoughts apart', async () => {
    const before = interviewee.requests.length;
    const { job, transcripts } = await runToEnd('single');
    expect(job).toMatchObject({ kind: 'interview', status: 'succeeded', done: 3, total: 3, failed: 0 });
    expect(transcripts).toHaveLength(3);
    const asked = interviewee.requests.slice(before).map((r) => r.chat!);
    expect(asked).toHaveLength(3);
    for (const req of asked) {
      // A fresh conversation: the prompted system message (role-play + setting) and the one question.
      expect(req.messages.map((m) => m.role)).toEqual(['system', 'user']);
      expect(req.messages[0]!.content).toContain('You are Ludwig van Beethoven');
      expect(req.messages[0]!.content).toContain('was a German composer and pianist');
      expect(req.messages[0]!.content).toContain('Location: Coffee Shop - Afternoon');
      expect(req.temperature).toBe(0.2);
      expect(req.max_tokens).toBe(256);
    }
    for (const t of transcripts) {
      expect(t.interview).toMatchObject({ mode: 'single', rounds: 1, roundsDone: 1, status: 'done', error: null });
      expect(t.turns.map((x) => [x.round, x.role, x.action])).toEqual([
        [1, 'interviewer', 'speaking'],
        [1, 'character', 'thinking'],
        [1, 'character', 'speaking'],
      ]);
      expect(speech(t, 'interviewer')).toEqual([t.interview.question]);
      expect(t.turns[1]!.text).toBe(`He asks: ${t.interview.question}`);
      expect(t.turns[2]!.text).toBe(`As for "${t.interview.question}", I answer plainly.`);
      expect(t.turns[2]!.callId).not.toBeNull();
      expect(t.turns[0]!.speaker).toBe('Man');
      expect(t.turns[2]!.speaker).toBe('Beethoven');
    }
    // No interviewer is called for single-turn questions.
    expect(transcripts.map((t) => t.interview.topicId).sort()).toEqual(['topic-1', 'topic-2', 'topic-4']);
    expect(job.promptTokens).toBeGreaterThan(0);
    // A custom endpoint bills, and fake-model has no price (yet): the answers are unpriced, not free.
    expect(job).toMatchObject({ costUsd: 0, unpricedCalls: 3 });
  });
});

describe('multi-turn interviews', () => {
  it('runs 5 rounds by default: the interviewer at 0.2 sees speech only, one question a round', async () => {
    const beforeA = interviewer.requests.length;
    const beforeB = interviewee.requests.length;
    const { job, transcripts } = await runToEnd('multi');
    expect(job.status).toBe('succeeded');
    const [t] = transcripts;
    expect(t!.interview).toMatchObject({ rounds: 5, roundsDone: 5, status: 'done' });
    const asks = interviewer.requests.slice(beforeA).map((r) => r.chat!);
    expect(asks).toHaveLength(5);
    expect(asks.every((r) => r.temperature === 0.2)).toBe(true);
    // The interviewer knows the profile's first paragraph (not its heading), the goal and the setting.
    const brief = asks[0]!.messages.at(-1)!.content;
    expect(brief).toContain('Who you are talking to: Ludwig van Beethoven (baptised 17 December 1770');
    expect(brief).toContain('Your goal for this conversation: find out what he thought of Napoleon');
    expect(brief).toContain('Where: Coffee Shop - Afternoon.');
    // The interviewer never reads the character's thoughts.
    expect(asks.some((r) => r.messages.some((m) => m.content.includes('He asks:')))).toBe(false);
    expect(asks[2]!.messages.at(-1)!.content).toContain(
      'Beethoven: As for "Round 2: tell me, find out what he thought of Napoleon"',
    );
    expect(speech(t!, 'interviewer')).toEqual(
      [1, 2, 3, 4, 5].map((r) => `Round ${r}: tell me, find out what he thought of Napoleon`),
    );
    expect(t!.turns.filter((x) => x.action === 'thinking')).toHaveLength(5);
    expect(new Set(t!.turns.map((x) => x.round))).toEqual(new Set([1, 2, 3, 4, 5]));
    const answers = interviewee.requests.slice(beforeB).map((r) => r.chat!);
    expect(answers).toHaveLength(5);
    // Round 5 reads the whole interview: the setting, 5 questions, 4 answers.
    expect(answers[4]!.messages.map((m) => m.role)).toEqual([
      'system',
      ...Array.from({ length: 4 }, () => ['user', 'assistant']).flat(),
      'user',
    ]);
  });

  it('an interviewee that dies mid-interview: the job stops, and resumes at that round', async () => {
    let entered!: () => void;
    const arrived = new Promise<void>((resolve) => (entered = resolve));
    hold = { round: 3, entered, released: new Promise<void>(() => undefined) };
    const job = await call(env.studio, 'eval/interviews/start', {
      characterId,
      systemIds: [system.id],
      setId: set.set.id,
      mode: 'multi',
      interviewerProviderId: interviewerId,
    });
    await arrived;
    const port = interviewee.port;
    const beforeA = interviewer.requests.length;
    await interviewee.close();
    const stopped = await env.studio.jobs.whenIdle(job.id);
    expect(['paused', 'failed']).toContain(stopped.status);
    expect(stopped.message).toBeTruthy();
    const [cut] = await call(env.studio, 'eval/interviews/list', { characterId, jobId: job.id });
    const before = await call(env.studio, 'eval/interviews/get', { id: cut!.id });
    expect(before.interview.roundsDone).toBe(2);
    // Round 3's question was asked (and paid for) before the interviewee died: it is kept.
    expect(speech(before, 'interviewer')).toHaveLength(3);
    expect(interviewer.requests.length).toBe(beforeA);

    hold = null;
    interviewee = await startInterviewee(port);
    await call(env.studio, 'jobs/resume', { id: job.id });
    const resumed = await env.studio.jobs.whenIdle(job.id);
    expect(resumed.status).toBe('succeeded');
    const after = await call(env.studio, 'eval/interviews/get', { id: cut!.id });
    expect(after.interview).toMatchObject({ roundsDone: 5, status: 'done' });
    // Rounds 1 and 2 are untouched, round 3's question is not asked again: 2 more interviewer calls.
    const kept = before.turns.filter((x) => x.round <= 2 || x.role === 'interviewer');
    expect(after.turns.slice(0, kept.length).map((x) => x.id)).toEqual(kept.map((x) => x.id));
    expect(interviewer.requests.length - beforeA).toBe(2);
    const again = interviewee.requests.map((r) => r.chat!);
    expect(again.map(roundOf)).toEqual([3, 4, 5]);
    expect(speech(after, 'interviewer')).toEqual(
      [1, 2, 3, 4, 5].map((r) => `Round ${r}: tell me, find out what he thought of Napoleon`),
    );
  });

  it('a studio stopped mid-round leaves the job interrupted; another studio resumes at that round', async () => {
    let entered!: () => void;
    const arrived = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    hold = { round: 4, entered, released: new Promise<void>((resolve) => (release = resolve)) };
    const job = await call(env.studio, 'eval/interviews/start', {
      characterId,
      systemIds: [system.id],
      setId: set.set.id,
      mode: 'multi',
      rounds: 4,
      interviewerProviderId: interviewerId,
    });
    await arrived;
    await env.studio.shutdown();
    release();
    env.studio.close();
    hold = null;
    env = makeStudio(dir.dir);
    expect((await call(env.studio, 'jobs/get', { id: job.id })).status).toBe('interrupted');
    const [cut] = await call(env.studio, 'eval/interviews/list', { characterId, jobId: job.id });
    expect(cut!.roundsDone).toBe(3);
    const beforeB = interviewee.requests.length;
    await call(env.studio, 'jobs/resume', { id: job.id });
    expect((await env.studio.jobs.whenIdle(job.id)).status).toBe('succeeded');
    expect(interviewee.requests.slice(beforeB).map((r) => roundOf(r.chat!))).toEqual([4]);
    const after = await call(env.studio, 'eval/interviews/get', { id: cut!.id });
    expect(after.interview).toMatchObject({ rounds: 4, roundsDone: 4, status: 'done' });
  });
});

describe('a budget', () => {
  it("is refused while an endpoint interviewee's model has no price, and kept once it has one", async () => {
    const jobs = (await call(env.studio, 'jobs/list', { characterId })).length;
    const request = {
      characterId,
      systemIds: [system.id],
      setId: set.set.id,
      mode: 'single' as const,
      interviewerProviderId: interviewerId,
      budgetUsd: 5,
    };
    const refused = await callError(env.studio, 'eval/interviews/start', request);
    expect(refused.message).toMatch(
      /A budget needs the price of every paid model the job calls, and fake-model \(provider "Baseline"\) has none.*Settings → Prices/,
    );
    expect(await call(env.studio, 'jobs/list', { characterId })).toHaveLength(jobs);
    await call(env.studio, 'prices/set', { model: 'fake-model', promptPerMillion: 1, completionPerMillion: 1 });
    const job = await call(env.studio, 'eval/interviews/start', request);
    expect((await env.studio.jobs.whenIdle(job.id)).status).toBe('succeeded');
  });
});

describe('the cost of an interview', () => {
  it("costs an endpoint interviewee's calls at its prices, on the calls and the job", async () => {
    await call(env.studio, 'prices/set', { model: 'fake-model', promptPerMillion: 1000, completionPerMillion: 2000 });
    const { job, transcripts } = await runToEnd('single');
    expect(job.status).toBe('succeeded');
    const calls = await Promise.all(
      transcripts.map(async (t) => (await call(env.studio, 'calls/get', { id: t.turns[2]!.callId! }))[0]!),
    );
    for (const c of calls)
      expect(c.costUsd).toBeCloseTo((c.promptTokens! * 1000 + c.completionTokens! * 2000) / 1e6, 9);
    expect(job.unpricedCalls).toBe(0);
    expect(job.costUsd).toBeCloseTo(
      calls.reduce((sum, c) => sum + c.costUsd!, 0),
      9,
    );
    expect(calls[0]!.providerLabel).toBe('Baseline');
  });
});

describe('bad requests', () => {
  it('refuses what cannot be interviewed, saying why, and starts nothing', async () => {
    const jobs = (await call(env.studio, 'jobs/list', { characterId })).length;
    const imported = await call(env.studio, 'eval/systems/create', {
      characterId,
      kind: 'imported',
      label: 'ChatGPT (paper)',
      source: 'Beethoven_chatgpt_result',
    });
    const refused = await callError(env.studio, 'eval/interviews/start', {
      characterId,
      systemIds: [imported.id],
      setId: set.set.id,
    });
    expect(refused.message).toContain('"ChatGPT (paper)" holds imported answers and cannot be interviewed again');
    const noGoals = await call(env.studio, 'eval/questions/create', {
      characterId,
      name: 'Only questions',
      questions: [{ topicId: 'topic-1', text: 'Where were you born?', mode: 'single' }],
    });
    const empty = await callError(env.studio, 'eval/interviews/start', {
      characterId,
      systemIds: [system.id],
      setId: noGoals.set.id,
      mode: 'multi',
    });
    expect(empty.message).toBe('"Only questions" (version 1) has no multi-turn goals: add some or pick another set.');
    const rounds = await callError(env.studio, 'eval/interviews/start', {
      characterId,
      systemIds: [system.id],
      setId: set.set.id,
      rounds: 0,
    });
    expect(rounds.code).toBe('invalid_argument');
    const twice = await callError(env.studio, 'eval/systems/create', {
      characterId,
      kind: 'imported',
      label: 'ChatGPT (paper)',
      source: 'x',
    });
    expect(twice.message).toBe('A system named "ChatGPT (paper)" exists already; choose another name.');
    expect(await call(env.studio, 'jobs/list', { characterId })).toHaveLength(jobs);
  });

  it('an interviewee that says nothing fails its interview after its attempts, with the reason', async () => {
    const silent = await call(env.studio, 'eval/systems/create', {
      characterId,
      kind: 'base',
      answerer: { runtime: 'endpoint', providerId: intervieweeId, model: 'silent-model', runId: null },
    });
    expect(silent.label).toBe('silent-model (base)');
    const job = await call(env.studio, 'eval/interviews/start', {
      characterId,
      systemIds: [silent.id],
      setId: set.set.id,
      mode: 'single',
    });
    const done = await env.studio.jobs.whenIdle(job.id);
    expect(done).toMatchObject({ status: 'failed', failed: 3, done: 0 });
    const interviews = await call(env.studio, 'eval/interviews/list', { characterId, jobId: job.id });
    expect(interviews.map((i) => i.status)).toEqual(['failed', 'failed', 'failed']);
    expect(interviews[0]!.error).toBe('silent-model (base) answered round 1 with nothing (no speech, no thought)');
    // Nothing half-written: no turn was stored for a round without an answer.
    const transcript = await call(env.studio, 'eval/interviews/get', { id: interviews[0]!.id });
    expect(transcript.turns).toEqual([]);
    // A base model hears the setting only: no role-play prompt.
    const asked = interviewee.requests.filter((r) => r.chat?.model === 'silent-model').map((r) => r.chat!);
    expect(asked[0]!.messages[0]!.content).toMatch(/^Location: Coffee Shop - Afternoon\nStatus: /);
  });

  it('deleting the character removes its sets, systems, interviews and turns', async () => {
    await call(env.studio, 'characters/delete', { id: characterId });
    const count = (table: string) =>
      (env.studio.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    for (const table of ['question_sets', 'questions', 'eval_systems', 'interviews', 'interview_turns'])
      expect(count(table), table).toBe(0);
  });
});
