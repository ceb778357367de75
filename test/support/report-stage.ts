import { afterAll, beforeAll } from 'vitest';
import type { CharacterId, EvalReport, InterviewId, JudgeDimension, PairSide, ReportCell } from '../../common/contract';
import { judgeNameOf } from '../../common/judge-name';
import { REPORT_DIMENSIONS } from '../../main/core/eval/report-build';
import { paperAnswers, paperRounds, questionSet, seedSystem } from './eval-seed';
import { tempDir } from './paths';
import { scoreOf, seedJudgments, seedPairs, type SeedJudgment } from './report-seed';
import { call, createBeethoven, makeStudio } from './studio';

/**
 * The studio the report tests (test/unit/eval/report*.test.ts) read: four systems (two judged, one
 * answered but never judged, one with no answers at all) over the paper's Beethoven answers,
 * single- and multi-turn apart. chatgpt's every fifth answer on values went unscored; a later judge
 * (judge-b) re-scored sft's first six answers on memorization with 7s. No pairwise comparisons until
 * `seedReportPairs`.
 */

/** The judge that `model` is in the stage: the model with the seeded prompt version. */
export const judgeOf = (model: string) => judgeNameOf(model, 'judge-v1');

/** Single-turn answers per system (each system has two multi-turn interviews besides). */
export const SINGLE = 24;

export interface ReportStage {
  /** The studio; a test that runs the CLI on its folder shuts it and puts a new one here after. */
  env: ReturnType<typeof makeStudio>;
  tmp: ReturnType<typeof tempDir>;
  characterId: CharacterId;
  /** System ids by label: sft, chatgpt, unjudged, empty. */
  ids: Record<string, string>;
  /** Every judgment written, in order. */
  written: SeedJudgment[];
  /** Each system's interviews: its SINGLE single-turn ones, then its two multi-turn ones. */
  interviewsOf: Record<string, InterviewId[]>;
  /** The report's cell of a system (by label), mode, dimension and judge model (its judge-v1 judge). */
  cell: (r: EvalReport, label: string, mode: 'single' | 'multi', dimension: string, judge?: string) => ReportCell;
  /** The scores `model` wrote for a system's interviews `from`…`to` on a dimension, its latest judgment per answer. */
  expected: (label: string, from: number, to: number, dimension: string, model?: string) => (number | null)[];
}

/** The stage, opened before the file's tests and closed after them (its fields are set in `beforeAll`). */
export function useReportStage(): ReportStage {
  const stage: ReportStage = {
    env: undefined as unknown as ReportStage['env'],
    tmp: undefined as unknown as ReportStage['tmp'],
    characterId: '' as CharacterId,
    ids: {},
    written: [],
    interviewsOf: {},
    cell: (r, label, mode, dimension, judge = 'judge-a') =>
      r.cells.find(
        (c) =>
          c.systemId === stage.ids[label] && c.mode === mode && c.dimension === dimension && c.judge === judgeOf(judge),
      )!,
    expected: (label, from, to, dimension, model = 'judge-a') =>
      stage.interviewsOf[label]!.slice(from, to).flatMap((id) => {
        const rows = stage.written.filter(
          (w) => w.interviewId === id && w.dimension === dimension && (!model || w.model === model),
        );
        if (rows.length === 0) return [];
        return [rows.reduce((a, b) => ((b.at ?? 0) >= (a.at ?? 0) ? b : a)).score];
      }),
  };
  beforeAll(async () => {
    const { ids, interviewsOf, written } = stage;
    stage.env = makeStudio();
    stage.tmp = tempDir('cs-report-');
    const characterId = await createBeethoven(stage.env.studio);
    stage.characterId = characterId;
    const sft = paperAnswers('Beethoven_sft').slice(0, SINGLE);
    const gpt = paperAnswers('Beethoven_chatgpt').slice(0, SINGLE);
    const singles = await questionSet(
      stage.env.studio,
      characterId,
      'Paper questions',
      sft.map((a) => ({ topicId: a.topic_id, text: a.question, mode: 'single' as const })),
    );
    const goals = await questionSet(stage.env.studio, characterId, 'Goals', [
      { topicId: 'topic-1', text: 'Ask about his deafness', mode: 'multi' },
      { topicId: 'topic-3', text: 'Ask what he values in music', mode: 'multi' },
    ]);
    const multiRounds = goals.map((g) => [
      {
        character: [
          { action: 'thinking' as const, text: `He wants to know: ${g.text}` },
          { action: 'speaking' as const, text: 'Let me tell you.' },
        ],
      },
      { interviewer: 'And then?', character: [{ action: 'speaking' as const, text: 'Then I wrote on.' }] },
    ]);
    for (const [label, rounds] of [
      ['sft', paperRounds(sft)],
      ['chatgpt', paperRounds(gpt)],
      ['unjudged', paperRounds(gpt)],
    ] as const) {
      const s = await seedSystem(stage.env.studio, characterId, label, singles, rounds);
      const m = await seedSystem(stage.env.studio, characterId, `${label}-multi`, goals, multiRounds);
      ids[label] = s.system.id;
      // One system per label in the report: move the multi-turn interviews onto the single-turn system.
      stage.env.studio.db
        .prepare('UPDATE interviews SET system_id = ? WHERE system_id = ?')
        .run(s.system.id, m.system.id);
      stage.env.studio.db.prepare('UPDATE eval_systems SET archived_at = 1 WHERE id = ?').run(m.system.id);
      interviewsOf[label] = [...s.interviews, ...m.interviews];
    }
    ids.empty = (
      await call(stage.env.studio, 'eval/systems/create', {
        characterId,
        kind: 'imported',
        label: 'empty',
        source: 'x',
      })
    ).id;
    for (const label of ['sft', 'chatgpt']) {
      interviewsOf[label]!.forEach((interviewId, i) => {
        const dims = REPORT_DIMENSIONS[i < SINGLE ? 'single' : 'multi'] as JudgeDimension[];
        for (const dimension of dims) {
          // chatgpt: every fifth answer on values went unscored.
          const score =
            label === 'chatgpt' && dimension === 'values' && i % 5 === 0 ? null : scoreOf(label, i, dimension);
          written.push({ interviewId, dimension, score, model: 'judge-a', at: 1000 });
        }
      });
    }
    // A later judge re-scored sft's first six answers on memorization: both kept, the latest counts.
    for (let i = 0; i < 6; i++) {
      written.push({
        interviewId: interviewsOf.sft![i]!,
        dimension: 'memorization',
        score: 7,
        model: 'judge-b',
        at: 2000,
      });
    }
    seedJudgments(stage.env.studio.db, characterId, written);
  });
  afterAll(async () => {
    await stage.env?.studio.shutdown();
    stage.env?.cleanup();
    stage.tmp?.cleanup();
  });
  return stage;
}

/** The mean of the scored values (null: unscored, left out). */
export const meanOf = (xs: (number | null)[]): number => {
  const scored = xs.filter((x): x is number => x !== null);
  return scored.reduce((a, b) => a + b, 0) / scored.length;
};

/**
 * sft against chatgpt, compared pairwise as a judge job leaves it (`seedPairs`): on single-turn values
 * by judge-a, 2 pairs both orders gave sft, 1 chatgpt, 1 tie, 1 whose orders disagree, 1 with an order
 * unreadable and 1 with an order not asked yet; judge-b gave chatgpt one pair on values; judge-a
 * gave chatgpt one on multi-turn stability.
 */
export function seedReportPairs(stage: ReportStage): void {
  const pair = (
    i: number,
    dimension: JudgeDimension,
    ab: PairSide | null | undefined,
    ba: PairSide | null | undefined,
    model = 'judge-a',
  ) => ({
    systemA: stage.ids.sft!,
    systemB: stage.ids.chatgpt!,
    interviewA: stage.interviewsOf.sft![i]!,
    interviewB: stage.interviewsOf.chatgpt![i]!,
    dimension,
    ab,
    ba,
    model,
  });
  seedPairs(stage.env.studio.db, stage.characterId, [
    pair(0, 'values', 'a', 'a'),
    pair(1, 'values', 'a', 'a'),
    pair(2, 'values', 'b', 'b'),
    pair(3, 'values', 'tie', 'tie'),
    pair(4, 'values', 'a', 'b'), // the orders disagree: a tie, and inconsistent
    pair(5, 'values', 'a', null), // an order unreadable: unscored
    pair(6, 'values', 'a', undefined), // an order not asked yet: not counted at all
    pair(0, 'values', 'b', 'b', 'judge-b'),
    pair(SINGLE, 'stability', 'b', 'b'),
  ]);
}
