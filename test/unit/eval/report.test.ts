import { beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId } from '../../../common/contract';
import { REPORT_DIMENSIONS } from '../../../main/core/eval/report-build';
import { paperAnswers } from '../../support/eval-seed';
import { judgeOf, meanOf, SINGLE, useReportStage } from '../../support/report-stage';
import { call, callError } from '../../support/studio';
// Reports on a real studio (test/support/report-stage.ts): means are checked against the scores
// written, empty systems are empty (never 0), unscored judgments are left out and counted, filters
// narrow, the latest judgment wins unless a judge is chosen, the drill-down shows thoughts apart and
// the judge's reasoning, and "what changed" holds both intervals. Pairwise counts:
// report-pairwise.test.ts; the exports and the CLI: report-exports.test.ts.

const stage = useReportStage();
const { ids, cell, expected } = stage;
let characterId: CharacterId;
beforeAll(() => {
  characterId = stage.characterId;
});

describe('eval/report', () => {
  it('gives mean, interval and count per system × dimension, single- and multi-turn apart; empty systems empty', async () => {
    const r = await call(stage.env.studio, 'eval/report', { characterId });
    expect(r.systems.map((s) => s.name)).toEqual(['sft', 'chatgpt', 'unjudged', 'empty']);
    expect(r.systems.map((s) => [s.answers.single, s.answers.multi])).toEqual([
      [SINGLE, 2],
      [SINGLE, 2],
      [SINGLE, 2],
      [0, 0],
    ]);
    // Each judge's cells apart: 4 systems × 9 cells × 2 judges.
    expect(r.cells).toHaveLength(4 * (4 + 5) * 2);
    for (const label of ['sft', 'chatgpt']) {
      for (const [mode, from, to] of [
        ['single', 0, SINGLE],
        ['multi', SINGLE, SINGLE + 2],
      ] as const) {
        for (const dimension of REPORT_DIMENSIONS[mode]) {
          const scores = expected(label, from, to, dimension);
          const c = cell(r, label, mode, dimension);
          expect(c.count).toBe(scores.filter((s) => s !== null).length);
          expect(c.unscored).toBe(scores.filter((s) => s === null).length);
          expect(c.mean).toBeCloseTo(meanOf(scores), 10);
          expect(c.low!).toBeLessThanOrEqual(c.mean!);
          expect(c.high!).toBeGreaterThanOrEqual(c.mean!);
        }
      }
    }
    expect(cell(r, 'chatgpt', 'single', 'values').unscored).toBe(5);
    // The re-judged memorization: two judges are never averaged. judge-a's mean is its own scores
    // alone (checked above), and judge-b's six 7s are judge-b's cell.
    expect(cell(r, 'sft', 'single', 'memorization', 'judge-b')).toMatchObject({
      judge: judgeOf('judge-b'),
      count: 6,
      mean: 7,
      unjudged: SINGLE - 6,
    });
    expect(cell(r, 'chatgpt', 'single', 'memorization', 'judge-b')).toMatchObject({ count: 0, mean: null });
    for (const label of ['unjudged', 'empty']) {
      for (const c of r.cells.filter((x) => x.systemId === ids[label])) {
        expect(c).toMatchObject({ count: 0, unscored: 0, mean: null, low: null, high: null });
      }
    }
    expect(cell(r, 'unjudged', 'single', 'values').unjudged).toBe(SINGLE);
    expect(cell(r, 'empty', 'multi', 'stability').unjudged).toBe(0);
    expect(r.judges).toEqual([judgeOf('judge-a'), judgeOf('judge-b')]);
    // Reproducible: the same data and seed, the same intervals; another seed moves them.
    const again = await call(stage.env.studio, 'eval/report', { characterId });
    expect(again.cells).toEqual(r.cells);
    const other = await call(stage.env.studio, 'eval/report', { characterId, seed: 7 });
    expect(other.cells.map((c) => c.low)).not.toEqual(r.cells.map((c) => c.low));
  });

  it('filters by topic, mode, system and judge', async () => {
    const answers = paperAnswers('Beethoven_sft').slice(0, SINGLE);
    const topic2 = answers.map((a, i) => [a.topic_id, i] as const).filter(([t]) => t === 'topic-2');
    const r = await call(stage.env.studio, 'eval/report', {
      characterId,
      topics: ['topic-2'],
      modes: ['single'],
      systemIds: [ids.sft!],
    });
    expect(r.systems.map((s) => s.answers.single)).toEqual([topic2.length]);
    expect(r.cells.every((c) => c.mode === 'single')).toBe(true);
    const scores = topic2.map(([, i]) => expected('sft', i, i + 1, 'personality')[0]!);
    expect(cell(r, 'sft', 'single', 'personality').mean).toBeCloseTo(meanOf(scores), 10);
    const a = await call(stage.env.studio, 'eval/report', {
      characterId,
      judge: 'judge-a',
      systemIds: [ids.sft!],
    });
    expect(cell(a, 'sft', 'single', 'memorization').mean).toBeCloseTo(
      meanOf(expected('sft', 0, SINGLE, 'memorization', 'judge-a')),
      10,
    );
    const b = await call(stage.env.studio, 'eval/report', {
      characterId,
      judge: 'judge-b',
      systemIds: [ids.sft!],
    });
    expect(b.cells.every((c) => c.judge === judgeOf('judge-b'))).toBe(true);
    expect(cell(b, 'sft', 'single', 'memorization', 'judge-b')).toMatchObject({
      count: 6,
      mean: 7,
      unjudged: SINGLE - 6,
    });
    const missing = await callError(stage.env.studio, 'eval/report', { characterId, systemIds: ['nope'] });
    expect(missing.code).toBe('not_found');
  });

  it('gives the judge view the same means as the report: each judge’s cells, live systems only', async () => {
    const summary = await call(stage.env.studio, 'eval/judgments/summary', { characterId });
    for (const judge of ['judge-a', 'judge-b']) {
      const r = await call(stage.env.studio, 'eval/report', { characterId, judge });
      const key = (x: { systemId: string; mode: string; dimension: string }) =>
        `${x.systemId} ${x.mode} ${x.dimension}`;
      const judged = new Map(r.cells.filter((c) => c.count + c.unscored > 0).map((c) => [key(c), c]));
      const mine = summary.filter((m) => m.model === judge);
      expect(mine.map(key).sort()).toEqual([...judged.keys()].sort());
      for (const m of mine) {
        const c = judged.get(key(m))!;
        expect(m).toMatchObject({ scored: c.count, unscored: c.unscored, mean: c.mean });
      }
    }
    // chatgpt's unscored verdicts on values are counted apart, never in its mean.
    const values = expected('chatgpt', 0, SINGLE, 'values');
    expect(
      summary.find((m) => m.systemId === ids.chatgpt && m.mode === 'single' && m.dimension === 'values'),
    ).toMatchObject({
      scored: values.filter((x) => x !== null).length,
      unscored: values.filter((x) => x === null).length,
    });
    // An archived system leaves the report, and so the judge's means.
    const archive = stage.env.studio.db.prepare('UPDATE eval_systems SET archived_at = ? WHERE id = ?');
    archive.run(1, ids.chatgpt);
    try {
      const after = await call(stage.env.studio, 'eval/judgments/summary', { characterId });
      expect(after.some((m) => m.systemId === ids.chatgpt)).toBe(false);
      expect(after).toEqual(summary.filter((m) => m.systemId !== ids.chatgpt));
    } finally {
      archive.run(null, ids.chatgpt);
    }
  });

  it('drills down to every answer with thoughts apart and the judge’s reasoning', async () => {
    const multi = await call(stage.env.studio, 'eval/report-answers', {
      characterId,
      systemId: ids.sft!,
      mode: 'multi',
    });
    expect(multi.answers).toHaveLength(2);
    const first = multi.answers[0]!;
    expect(first.turns.filter((t) => t.action === 'thinking').map((t) => t.content)).toEqual([
      'He wants to know: Ask about his deafness',
    ]);
    expect(first.judgments.map((j) => j.dimension)).toEqual(REPORT_DIMENSIONS.multi);
    expect(first.judgments[0]!.reasoning).toMatch(/The answer earns \d/);
    const single = await call(stage.env.studio, 'eval/report-answers', {
      characterId,
      systemId: ids.chatgpt!,
      mode: 'single',
    });
    expect(single.answers[0]!.judgments.find((j) => j.dimension === 'values')).toMatchObject({ score: null });
  });

  it('compares two systems: per-dimension change with both intervals, moved questions, answers side by side', async () => {
    const c = await call(stage.env.studio, 'eval/report-compare', {
      characterId,
      a: ids.sft!,
      b: ids.chatgpt!,
      mode: 'single',
    });
    // Per judge: a change is never read across two judges' scores.
    expect(c.changes.map((x) => [x.judge, x.dimension])).toEqual([
      ...REPORT_DIMENSIONS.single.map((d) => [judgeOf('judge-a'), d]),
      ...REPORT_DIMENSIONS.single.map((d) => [judgeOf('judge-b'), d]),
    ]);
    expect(c.changes.every((x) => x.a.judge === x.judge && x.b.judge === x.judge)).toBe(true);
    expect(c.changes.find((x) => x.judge === judgeOf('judge-b') && x.dimension === 'memorization')).toMatchObject({
      delta: null,
      a: { mean: 7, count: 6 },
      b: { mean: null },
    });
    expect(c.moved.every((m) => m.judge === judgeOf('judge-a'))).toBe(true);
    for (const ch of c.changes.filter((x) => x.judge === judgeOf('judge-a'))) {
      expect(ch.delta).toBeCloseTo(ch.b.mean! - ch.a.mean!, 10);
      expect(ch.a.low).not.toBeNull();
      expect(ch.b.high).not.toBeNull();
    }
    expect(c.pairs).toHaveLength(SINGLE);
    expect(c.pairs.every((p) => p.a && p.b && p.a.question === p.b.question)).toBe(true);
    const deltas = c.moved.map((m) => Math.abs(m.delta));
    expect(deltas).toEqual([...deltas].sort((x, y) => y - x));
    const withEmpty = await call(stage.env.studio, 'eval/report-compare', {
      characterId,
      a: ids.sft!,
      b: ids.unjudged!,
      mode: 'single',
    });
    expect(withEmpty.changes.every((x) => x.delta === null && x.b.mean === null)).toBe(true);
    expect(withEmpty.moved).toEqual([]);
  });
});
