// Building a report over 4 systems × 857 single-turn answers × 4 dimensions (the paper's question
// count): synthetic rows in the real tables (questions, imported systems, done interviews with their
// turns, one judgment per answer and dimension, a few unscored), through the real Studio in this
// process. Each figure is the median of 5 after a warm-up.
// - `reportMs`: `eval/report` (16 cells, 2,000 bootstrap resamples each);
// - `compareMs`: `eval/report-compare` of two systems (both intervals, moved questions, 857 pairs);
// - `htmlExportMs`: `eval/report-export` as one HTML file with its drill-down of every answer.
import type { JudgeDimension } from '../../common/contract';
import { questionSet, seedSystem } from '../support/eval-seed';
import { scoreOf, seedJudgments, type SeedJudgment } from '../support/report-seed';
import { call, createBeethoven, makeStudio } from '../support/studio';

const SYSTEMS = 4;
const ANSWERS = 857;
const DIMENSIONS: JudgeDimension[] = ['memorization', 'values', 'personality', 'hallucination'];

async function median(times: number, work: () => Promise<unknown>): Promise<number> {
  await work();
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await work();
    ms.push(performance.now() - started);
  }
  return Number([...ms].sort((a, b) => a - b)[Math.floor(times / 2)]!.toFixed(1));
}

export async function run(): Promise<object> {
  const env = makeStudio();
  try {
    const characterId = await createBeethoven(env.studio);
    const questions = await questionSet(
      env.studio,
      characterId,
      'Bench',
      Array.from({ length: ANSWERS }, (_, i) => ({
        topicId: `topic-${1 + (i % 4)}`,
        text: `Question ${i}: what did you do in the year ${1770 + (i % 57)}?`,
        mode: 'single' as const,
      })),
    );
    const systemIds: string[] = [];
    const judgments: SeedJudgment[] = [];
    for (let s = 0; s < SYSTEMS; s++) {
      const rounds = questions.map((_, i) => [
        { character: [{ action: 'speaking' as const, text: `Answer ${i} of system ${s}, in a few plain sentences.` }] },
      ]);
      const { system, interviews } = await seedSystem(env.studio, characterId, `system-${s}`, questions, rounds);
      systemIds.push(system.id);
      interviews.forEach((interviewId, i) => {
        for (const dimension of DIMENSIONS) {
          judgments.push({ interviewId, dimension, score: i % 97 === 0 ? null : scoreOf(system.id, i, dimension) });
        }
      });
    }
    seedJudgments(env.studio.db, characterId, judgments);
    const report = await call(env.studio, 'eval/report', { characterId });
    if (report.cells.filter((c) => c.mode === 'single').some((c) => c.count + c.unscored !== ANSWERS)) {
      throw new Error('the bench report does not cover every answer');
    }
    const reportMs = await median(5, () => call(env.studio, 'eval/report', { characterId }));
    const compareMs = await median(5, () =>
      call(env.studio, 'eval/report-compare', { characterId, a: systemIds[0]!, b: systemIds[1]!, mode: 'single' }),
    );
    let htmlBytes = 0;
    const htmlExportMs = await median(5, async () => {
      htmlBytes = (await call(env.studio, 'eval/report-export', { characterId, format: 'html' })).bytes;
    });
    return {
      systems: SYSTEMS,
      answers: ANSWERS,
      dimensions: DIMENSIONS.length,
      judgments: judgments.length,
      reportMs: { value: reportMs, goal: 500, unit: 'ms' },
      compareMs: { value: compareMs, goal: 1000, unit: 'ms' },
      htmlExportMs: { value: htmlExportMs, goal: 2000, unit: 'ms' },
      htmlKiB: Math.round(htmlBytes / 1024),
    };
  } finally {
    await env.studio.shutdown();
    env.cleanup();
  }
}
