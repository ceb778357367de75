import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, InterviewId } from '../../../common/contract';
import { judgeNameOf } from '../../../common/judge-name';
import { paperAnswers, paperRounds, questionSet, seedSystem } from '../../support/eval-seed';
import { seedJudgments, type SeedJudgment } from '../../support/report-seed';
import { meanOf } from '../../support/report-stage';
import { call, createBeethoven, makeStudio } from '../../support/studio';
// A judge is a judge model with one version of the judge prompt: re-judging with a new wording
// keeps both, and their scores are never averaged (main/core/eval/judge-prompts.ts). The report and
// the Judge tab's means (`eval/judgments/summary`) must name the same judges and give each the same
// figures. Before, the report grouped by model alone and mixed the two wordings' scores in one mean.

const N = 6;
let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
let interviews: InterviewId[];
/** judge@1 scored every answer 2 on values; judge@2, later, re-scored the first half with 6. */
const v1 = Array.from({ length: N }, () => 2);
const v2 = Array.from({ length: N / 2 }, () => 6);

beforeAll(async () => {
  env = makeStudio();
  characterId = await createBeethoven(env.studio);
  const answers = paperAnswers('Beethoven_sft').slice(0, N);
  const questions = await questionSet(
    env.studio,
    characterId,
    'Paper questions',
    answers.map((a) => ({ topicId: a.topic_id, text: a.question, mode: 'single' as const })),
  );
  ({ interviews } = await seedSystem(env.studio, characterId, 'sft', questions, paperRounds(answers)));
  const written: SeedJudgment[] = [
    ...interviews.map((interviewId, i) => ({
      interviewId,
      dimension: 'values' as const,
      score: v1[i]!,
      model: 'judge-m',
      promptVersion: 'judge@1',
      at: 1000,
    })),
    ...interviews.slice(0, N / 2).map((interviewId, i) => ({
      interviewId,
      dimension: 'values' as const,
      score: v2[i]!,
      model: 'judge-m',
      promptVersion: 'judge@2',
      at: 2000,
    })),
  ];
  seedJudgments(env.studio.db, characterId, written);
});

afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
});

describe('judges in the report and the Judge tab', () => {
  it('counts a judge model re-judged with a new prompt version as two judges, each with its own means, in both', async () => {
    const first = judgeNameOf('judge-m', 'judge@1');
    const second = judgeNameOf('judge-m', 'judge@2');
    const report = await call(env.studio, 'eval/report', { characterId, modes: ['single'] });
    const summary = await call(env.studio, 'eval/judgments/summary', { characterId });

    // The same judges, named alike, in both views.
    expect(report.judges).toEqual([first, second]);
    expect([...new Set(report.cells.map((c) => c.judge))]).toEqual([first, second]);
    expect([...new Set(summary.map((m) => judgeNameOf(m.model, m.promptVersion)))].sort()).toEqual([first, second]);

    // Each judge's mean is its own wording's scores alone, never a mix of the two.
    const values = (judge: string) => report.cells.find((c) => c.judge === judge && c.dimension === 'values')!;
    expect(values(first)).toMatchObject({ count: N, mean: meanOf(v1), unjudged: 0 });
    expect(values(second)).toMatchObject({ count: N / 2, mean: meanOf(v2), unjudged: N / 2 });

    // The same figures for each judge in both views.
    for (const m of summary) {
      const c = report.cells.find(
        (x) =>
          x.judge === judgeNameOf(m.model, m.promptVersion) &&
          x.systemId === m.systemId &&
          x.mode === m.mode &&
          x.dimension === m.dimension,
      )!;
      expect(m).toMatchObject({ mean: c.mean, scored: c.count, unscored: c.unscored });
    }

    // One judge chosen by its name: only its scores; the model alone keeps both judges apart.
    const chosen = await call(env.studio, 'eval/report', { characterId, modes: ['single'], judge: second });
    expect([...new Set(chosen.cells.map((c) => c.judge))]).toEqual([second]);
    const byModel = await call(env.studio, 'eval/report', { characterId, modes: ['single'], judge: 'judge-m' });
    expect([...new Set(byModel.cells.map((c) => c.judge))]).toEqual([first, second]);
    const answers = await call(env.studio, 'eval/report-answers', {
      characterId,
      systemId: report.systems[0]!.id,
      mode: 'single',
      judge: first,
    });
    expect(answers.answers.map((a) => a.judgments.find((j) => j.dimension === 'values')?.score)).toEqual(v1);
  });
});
