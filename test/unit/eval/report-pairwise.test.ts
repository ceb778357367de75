import { beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, EvalSystemId } from '../../../common/contract';
import { judgeNameOf } from '../../../common/judge-name';
import { seedPairs } from '../../support/report-seed';
import { seedReportPairs, useReportStage } from '../../support/report-stage';
import { call } from '../../support/studio';
// The report's pairwise section on a real studio (test/support/report-stage.ts): counted by the rule
// the Judge tab counts by, under the report's filters.

const stage = useReportStage();
const { ids } = stage;
let characterId: CharacterId;
beforeAll(() => {
  characterId = stage.characterId;
});

describe('eval/report pairwise', () => {
  it('counts pairwise comparisons per dimension: a win needs both orders, a split pair is a tie', async () => {
    const before = await call(stage.env.studio, 'eval/report', { characterId });
    expect(before.pairwise).toEqual([]);
    seedReportPairs(stage);
    const r = await call(stage.env.studio, 'eval/report', { characterId });
    const head = { systemA: ids.sft, systemB: ids.chatgpt };
    expect(r.pairwise).toEqual([
      {
        ...head,
        mode: 'single',
        dimension: 'values',
        judge: judgeNameOf('judge-a', 'pairwise-v1'),
        pairs: 5,
        aWins: 2,
        ties: 2,
        bWins: 1,
        inconsistent: 1,
        unscored: 1,
      },
      {
        ...head,
        mode: 'single',
        dimension: 'values',
        judge: judgeNameOf('judge-b', 'pairwise-v1'),
        pairs: 1,
        aWins: 0,
        ties: 0,
        bWins: 1,
        inconsistent: 0,
        unscored: 0,
      },
      {
        ...head,
        mode: 'multi',
        dimension: 'stability',
        judge: judgeNameOf('judge-a', 'pairwise-v1'),
        pairs: 1,
        aWins: 0,
        ties: 0,
        bWins: 1,
        inconsistent: 0,
        unscored: 0,
      },
    ]);
    // The Judge tab's Pairwise card counts the same judgments by the same rule: a split pair is a
    // tie there too (it showed 1 tie and 1 inconsistent beside the report's 2 ties).
    const summary = await call(stage.env.studio, 'eval/pairwise/summary', {
      characterId,
      systemA: ids.sft! as EvalSystemId,
      systemB: ids.chatgpt! as EvalSystemId,
    });
    const counted = (rows: typeof summary) =>
      rows.map(({ mode, dimension, model, promptVersion, rates: w }) => ({
        mode,
        dimension,
        judge: judgeNameOf(model, promptVersion),
        pairs: w.pairs,
        aWins: w.aWins.count,
        ties: w.ties.count,
        bWins: w.bWins.count,
        inconsistent: w.inconsistent.count,
        unscored: w.unscored,
      }));
    const sorted = <T extends { judge: string; dimension: string }>(xs: T[]) =>
      [...xs].sort((x, y) => `${x.judge}${x.dimension}`.localeCompare(`${y.judge}${y.dimension}`));
    expect(sorted(counted(summary))).toEqual(sorted(r.pairwise.map(({ systemA: _a, systemB: _b, ...rest }) => rest)));
    expect(summary.find((w) => w.model === 'judge-a' && w.dimension === 'values')!.rates.ties).toMatchObject({
      count: 2,
      rate: 2 / 5,
    });
    // Under the report's filters: one judge, one mode, systems without a comparison.
    const b = await call(stage.env.studio, 'eval/report', { characterId, judge: 'judge-b' });
    expect(b.pairwise.map((p) => [p.judge, p.bWins])).toEqual([[judgeNameOf('judge-b', 'pairwise-v1'), 1]]);
    const multi = await call(stage.env.studio, 'eval/report', { characterId, modes: ['multi'] });
    expect(multi.pairwise.map((p) => p.dimension)).toEqual(['stability']);
    const apart = await call(stage.env.studio, 'eval/report', { characterId, systemIds: [ids.sft!, ids.unjudged!] });
    expect(apart.pairwise).toEqual([]);
  });

  it('counts a pair re-asked with a new pairwise prompt for each prompt version apart, as the Judge tab does', async () => {
    // judge-a asks sft's first pair again with a reworded prompt: a second judge, never merged.
    seedPairs(stage.env.studio.db, characterId, [
      {
        systemA: ids.sft!,
        systemB: ids.chatgpt!,
        interviewA: stage.interviewsOf.sft![0]!,
        interviewB: stage.interviewsOf.chatgpt![0]!,
        dimension: 'values',
        ab: 'b',
        ba: 'b',
        model: 'judge-a',
        promptVersion: 'pairwise-v2',
      },
    ]);
    const r = await call(stage.env.studio, 'eval/report', { characterId, modes: ['single'] });
    const values = (judge: string) => r.pairwise.find((p) => p.judge === judge && p.dimension === 'values');
    expect(values(judgeNameOf('judge-a', 'pairwise-v1'))).toMatchObject({ pairs: 5, aWins: 2, bWins: 1 });
    expect(values(judgeNameOf('judge-a', 'pairwise-v2'))).toMatchObject({ pairs: 1, aWins: 0, bWins: 1 });
    const summary = await call(stage.env.studio, 'eval/pairwise/summary', {
      characterId,
      systemA: ids.sft! as EvalSystemId,
      systemB: ids.chatgpt! as EvalSystemId,
    });
    const judges = (xs: string[]) => [...new Set(xs)].sort();
    expect(judges(r.pairwise.map((p) => p.judge))).toEqual(
      judges(summary.filter((w) => w.mode === 'single').map((w) => judgeNameOf(w.model, w.promptVersion))),
    );
  });
});
