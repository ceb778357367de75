import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAIRWISE_RULE } from '../../../common/pairwise-rule';
import { runCliIn } from '../../support/cli';
import { paperAnswers, paperSystems } from '../../support/eval-seed';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { isPairwiseRequest, judgeResponder, verdictText } from '../../support/judge-responder';
import { tempDir } from '../../support/paths';
import { addFakeProvider, beethovenWithProfile, call, makeStudio } from '../../support/studio';

// `character-studio judge`: scores, a re-judge by another model, a pairwise comparison with its win
// rates, a judge whose answers cannot be read, and bad options, through the real studio and the fake
// LLM server as the judge. The interviews are the paper's released answers of two systems.

const QUESTIONS = 3;
let held = false;
let tmp: ReturnType<typeof tempDir>;
let server: FakeLlmServer;

const cli = (...args: string[]) => runCliIn(tmp.dir, args);

beforeAll(async () => {
  tmp = tempDir('cs-cli-judge-');
  server = await startFakeLlmServer({
    models: ['fake-model', 'judge-2', 'prose-judge', 'held-judge'],
    responder: (req) => {
      if (req.model === 'prose-judge') return 'A fine answer; I would say 5 out of 7 overall.';
      // Answers nothing while held: a job asking it can be paused with its work undone.
      if (req.model === 'held-judge' && held) return new Promise<string>(() => undefined);
      // The pairwise judge prefers whichever answer is shorter, wherever it is shown.
      return judgeResponder({
        pairwise: (_r, first, second) =>
          verdictText('Shorter is sharper here.', first.length < second.length ? '1' : '2'),
      })(req);
    },
  });
  const env = makeStudio(tmp.dir);
  const characterId = await beethovenWithProfile(env.studio);
  await addFakeProvider(env.studio, server.baseURL);
  await paperSystems(env.studio, characterId, ['Beethoven_sft', 'Beethoven_chatgpt'], QUESTIONS, (n) =>
    n === 'Beethoven_sft' ? 'sft' : 'chatgpt',
  );
  await env.studio.shutdown();
}, 60_000);
afterAll(async () => {
  await server?.close();
  tmp?.cleanup();
});

describe('character-studio judge', () => {
  it('scores every finished interview and prints the means per system and dimension', async () => {
    const run = await cli('judge', 'Beethoven', '--judge', 'Fake', '--systems', 'sft', '--json');
    expect(run.code, run.err).toBe(0);
    expect(run.err).toMatch(/Judging with fake-model \(Fake\), prompt judge@1: 12 verdicts to ask/);
    const out = JSON.parse(run.out) as {
      job: { status: string };
      means: { systemId: string; dimension: string; scored: number }[];
    };
    expect(out.job.status).toBe('succeeded');
    expect(out.means.map((m) => m.dimension).sort()).toEqual([
      'hallucination',
      'memorization',
      'personality',
      'values',
    ]);
    expect(out.means.every((m) => m.scored === QUESTIONS)).toBe(true);
  });

  it('shows an interview with the judge’s scores, and its reasoning when asked', async () => {
    const [first] = JSON.parse((await cli('interview', 'Beethoven', 'list', '--system', 'sft', '--json')).out) as {
      id: string;
    }[];
    const shown = await cli('interview', 'Beethoven', 'show', first!.id);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(
      /\nScores:\n {2}memorization: \d\/7 · fake-model · judge@1\n {2}values: \d\/7 · fake-model · judge@1\n {2}personality: \d\/7 · fake-model · judge@1\n {2}hallucination: \d\/7 · fake-model · judge@1\n\(--reasoning prints why/,
    );
    expect(shown.out).not.toContain('Step by step');
    const why = await cli('interview', 'Beethoven', 'show', first!.id, '--reasoning');
    expect(why.out).toMatch(/ {2}values: \d\/7 · fake-model · judge@1\n {6}Step by step: /);
    const json = JSON.parse((await cli('interview', 'Beethoven', 'show', first!.id, '--json')).out) as {
      turns: unknown[];
      judgments: { dimension: string }[];
    };
    expect(json.judgments.map((j) => j.dimension).sort()).toEqual([
      'hallucination',
      'memorization',
      'personality',
      'values',
    ]);
  });

  it('compares two systems in both orders and prints the win rates with their intervals', async () => {
    const before = server.requests.length;
    const run = await cli(
      'judge',
      'Beethoven',
      '--judge',
      'Fake/judge-2',
      '--pairwise',
      'sft,chatgpt',
      '--dimensions',
      'memorization',
    );
    expect(run.code, run.err).toBe(0);
    const asked = server.requests.slice(before).filter((r) => r.chat && isPairwiseRequest(r.chat));
    expect(asked).toHaveLength(QUESTIONS * 2);
    expect(asked.every((r) => r.chat!.model === 'judge-2')).toBe(true);
    // A judge without position bias: each pair goes to the system with the shorter answer, in both orders.
    const text = (a: ReturnType<typeof paperAnswers>[number]) =>
      (Array.isArray(a.reply) ? a.reply : [a.reply])[0]!.content;
    const chatgpt = paperAnswers('Beethoven_chatgpt');
    const sftWins = paperAnswers('Beethoven_sft')
      .slice(0, QUESTIONS)
      .filter((a, i) => text(a).length < text(chatgpt[i]!).length).length;
    const pct = (n: number) => `${Math.round((n / QUESTIONS) * 100)}%`;
    expect(run.out).toContain(`single · memorization: sft wins ${pct(sftWins)} [`);
    expect(run.out).toContain(`chatgpt wins ${pct(QUESTIONS - sftWins)} [`);
    expect(run.out).toMatch(/ties 0% \[0%–\d+%\] of 3 pairs/);
    expect(run.out).toContain(PAIRWISE_RULE);
  });

  it('shows judgments whose answers could not be read as unscored, never as a number', async () => {
    const run = await cli(
      'judge',
      'Beethoven',
      '--judge',
      'Fake/prose-judge',
      '--systems',
      'chatgpt',
      '--dimensions',
      'values',
      '--retries',
      '1',
    );
    // Not one verdict read: the job failed, and the command says so (exit 1), the table still shown.
    expect(run.code, run.err).toBe(1);
    expect(run.err).toMatch(/No verdict could be scored: none of the judge's 3 answers could be read/);
    expect(run.out).toMatch(/chatgpt · single · values: unscored \(0 scored, 3 unscored\)/);
    // The means say whose they are.
    expect(run.out).toMatch(/^Mean scores \(1–7\) by prose-judge · judge@\d+:$/m);
  });

  it('refuses bad options with what to do', async () => {
    const one = await cli('judge', 'Beethoven', '--pairwise', 'sft');
    expect(one.code).toBe(2);
    expect(one.err).toMatch(/--pairwise takes two systems/);
    const unknown = await cli('judge', 'Beethoven', '--systems', 'vicuna');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(
      /--systems: No system "vicuna". The character's systems: ("sft", "chatgpt"|"chatgpt", "sft")/,
    );
    const dimension = await cli('judge', 'Beethoven', '--dimensions', 'charm');
    expect(dimension.err).toMatch(/unknown dimension "charm"; use memorization, values/);
    const judge = await cli('judge', 'Beethoven', '--judge', 'Nobody/gpt');
    expect(judge.err).toMatch(/--judge "Nobody\/gpt": name a provider.*"Fake"/);
  });

  it('resumes a paused judge job as it was asked for, and refuses options that ask for another', async () => {
    held = true;
    const env = makeStudio(tmp.dir);
    const [provider] = await call(env.studio, 'providers/list', {});
    const [character] = await call(env.studio, 'characters/list', {});
    const systems = await call(env.studio, 'eval/systems/list', { characterId: character!.id });
    const sft = systems.find((s) => s.label === 'sft')!;
    const started = await call(env.studio, 'eval/judge/start', {
      characterId: character!.id,
      providerId: provider!.id,
      model: 'held-judge',
      systemIds: [sft.id],
      dimensions: ['values'],
    });
    await call(env.studio, 'jobs/pause', { id: started.id });
    expect((await env.studio.jobs.whenIdle(started.id)).status).toBe('paused');
    await env.studio.shutdown();
    held = false;

    const other = await cli('judge', 'Beethoven', '--systems', 'chatgpt', '--dimensions', 'values');
    expect(other.code).toBe(1);
    expect(other.err).toContain(
      `A paused judge job (held-judge, 0/${QUESTIONS} done) waits with other systems. Resume it with: character-studio judge Beethoven (without options); or cancel it first: character-studio jobs cancel ${started.id}`,
    );
    const same = await cli('judge', 'Beethoven', '--systems', 'sft', '--json');
    expect(same.code, same.err).toBe(0);
    expect(same.err).toContain(`Resuming the paused judge job (0/${QUESTIONS} done).`);
    expect((JSON.parse(same.out) as { job: { id: string; status: string } }).job).toMatchObject({
      id: started.id,
      status: 'succeeded',
    });
  });
});
