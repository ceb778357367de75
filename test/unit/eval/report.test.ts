import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CharacterId,
  EvalReport,
  EvalSystemId,
  InterviewId,
  JudgeDimension,
  PairSide,
  ReportCell,
} from '../../../common/contract';
import { REPORT_DIMENSIONS } from '../../../main/core/eval/report-build';
import { runCliIn } from '../../support/cli';
import { paperAnswers, paperRounds, questionSet, seedSystem } from '../../support/eval-seed';
import { tempDir } from '../../support/paths';
import { scoreOf, seedJudgments, seedPairs, type SeedJudgment } from '../../support/report-seed';
import { call, callError, createBeethoven, fakeProviderDraft, makeStudio } from '../../support/studio';

// Reports on a real studio: four systems (two judged, one answered but never judged, one with no
// answers at all) over the paper's Beethoven answers, single- and multi-turn apart. Means are
// checked against the scores written, empty systems are empty (never 0), unscored judgments are
// left out and counted, filters narrow, the latest judgment wins unless a judge is chosen, the
// drill-down shows thoughts apart and the judge's reasoning, "what changed" holds both intervals,
// and the exports (JSON, CSV, HTML) and the CLI say the same.

let env: ReturnType<typeof makeStudio>;
let tmp: ReturnType<typeof tempDir>;
let characterId: CharacterId;
const ids: Record<string, string> = {};
const written: SeedJudgment[] = [];
const interviewsOf: Record<string, InterviewId[]> = {};
const SINGLE = 24;

beforeAll(async () => {
  env = makeStudio();
  tmp = tempDir('cs-report-');
  characterId = await createBeethoven(env.studio);
  const sft = paperAnswers('Beethoven_sft').slice(0, SINGLE);
  const gpt = paperAnswers('Beethoven_chatgpt').slice(0, SINGLE);
  const singles = await questionSet(
    env.studio,
    characterId,
    'Paper questions',
    sft.map((a) => ({ topicId: a.topic_id, text: a.question, mode: 'single' as const })),
  );
  const goals = await questionSet(env.studio, characterId, 'Goals', [
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
    const s = await seedSystem(env.studio, characterId, label, singles, rounds);
    const m = await seedSystem(env.studio, characterId, `${label}-multi`, goals, multiRounds);
    ids[label] = s.system.id;
    // One system per label in the report: move the multi-turn interviews onto the single-turn system.
    env.studio.db.prepare('UPDATE interviews SET system_id = ? WHERE system_id = ?').run(s.system.id, m.system.id);
    env.studio.db.prepare('UPDATE eval_systems SET archived_at = 1 WHERE id = ?').run(m.system.id);
    interviewsOf[label] = [...s.interviews, ...m.interviews];
  }
  ids.empty = (
    await call(env.studio, 'eval/systems/create', { characterId, kind: 'imported', label: 'empty', source: 'x' })
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
  seedJudgments(env.studio.db, characterId, written);
});
afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
  tmp?.cleanup();
});

const cell = (
  r: EvalReport,
  label: string,
  mode: 'single' | 'multi',
  dimension: string,
  judge = 'judge-a',
): ReportCell =>
  r.cells.find((c) => c.systemId === ids[label] && c.mode === mode && c.dimension === dimension && c.judge === judge)!;

/** The scores `model` wrote for a system's interviews `from`…`to` on a dimension, its latest judgment per answer. */
function expected(label: string, from: number, to: number, dimension: string, model = 'judge-a'): (number | null)[] {
  return interviewsOf[label]!.slice(from, to).flatMap((id) => {
    const rows = written.filter(
      (w) => w.interviewId === id && w.dimension === dimension && (!model || w.model === model),
    );
    if (rows.length === 0) return [];
    return [rows.reduce((a, b) => ((b.at ?? 0) >= (a.at ?? 0) ? b : a)).score];
  });
}
const meanOf = (xs: (number | null)[]) => {
  const s = xs.filter((x): x is number => x !== null);
  return s.reduce((a, b) => a + b, 0) / s.length;
};

describe('eval/report', () => {
  it('gives mean, interval and count per system × dimension, single- and multi-turn apart; empty systems empty', async () => {
    const r = await call(env.studio, 'eval/report', { characterId });
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
      judge: 'judge-b',
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
    expect(r.judges).toEqual(['judge-a', 'judge-b']);
    // Reproducible: the same data and seed, the same intervals; another seed moves them.
    const again = await call(env.studio, 'eval/report', { characterId });
    expect(again.cells).toEqual(r.cells);
    const other = await call(env.studio, 'eval/report', { characterId, seed: 7 });
    expect(other.cells.map((c) => c.low)).not.toEqual(r.cells.map((c) => c.low));
  });

  it('filters by topic, mode, system and judge', async () => {
    const answers = paperAnswers('Beethoven_sft').slice(0, SINGLE);
    const topic2 = answers.map((a, i) => [a.topic_id, i] as const).filter(([t]) => t === 'topic-2');
    const r = await call(env.studio, 'eval/report', {
      characterId,
      topics: ['topic-2'],
      modes: ['single'],
      systemIds: [ids.sft!],
    });
    expect(r.systems.map((s) => s.answers.single)).toEqual([topic2.length]);
    expect(r.cells.every((c) => c.mode === 'single')).toBe(true);
    const scores = topic2.map(([, i]) => expected('sft', i, i + 1, 'personality')[0]!);
    expect(cell(r, 'sft', 'single', 'personality').mean).toBeCloseTo(meanOf(scores), 10);
    const a = await call(env.studio, 'eval/report', { characterId, judgeModel: 'judge-a', systemIds: [ids.sft!] });
    expect(cell(a, 'sft', 'single', 'memorization').mean).toBeCloseTo(
      meanOf(expected('sft', 0, SINGLE, 'memorization', 'judge-a')),
      10,
    );
    const b = await call(env.studio, 'eval/report', { characterId, judgeModel: 'judge-b', systemIds: [ids.sft!] });
    expect(b.cells.every((c) => c.judge === 'judge-b')).toBe(true);
    expect(cell(b, 'sft', 'single', 'memorization', 'judge-b')).toMatchObject({
      count: 6,
      mean: 7,
      unjudged: SINGLE - 6,
    });
    const missing = await callError(env.studio, 'eval/report', { characterId, systemIds: ['nope'] });
    expect(missing.code).toBe('not_found');
  });

  it('gives the judge view the same means as the report: each judge’s cells, live systems only', async () => {
    const summary = await call(env.studio, 'eval/judgments/summary', { characterId });
    for (const judgeModel of ['judge-a', 'judge-b']) {
      const r = await call(env.studio, 'eval/report', { characterId, judgeModel });
      const key = (x: { systemId: string; mode: string; dimension: string }) =>
        `${x.systemId} ${x.mode} ${x.dimension}`;
      const judged = new Map(r.cells.filter((c) => c.count + c.unscored > 0).map((c) => [key(c), c]));
      const mine = summary.filter((m) => m.model === judgeModel);
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
    const archive = env.studio.db.prepare('UPDATE eval_systems SET archived_at = ? WHERE id = ?');
    archive.run(1, ids.chatgpt);
    try {
      const after = await call(env.studio, 'eval/judgments/summary', { characterId });
      expect(after.some((m) => m.systemId === ids.chatgpt)).toBe(false);
      expect(after).toEqual(summary.filter((m) => m.systemId !== ids.chatgpt));
    } finally {
      archive.run(null, ids.chatgpt);
    }
  });

  it('drills down to every answer with thoughts apart and the judge’s reasoning', async () => {
    const multi = await call(env.studio, 'eval/report-answers', { characterId, systemId: ids.sft!, mode: 'multi' });
    expect(multi.answers).toHaveLength(2);
    const first = multi.answers[0]!;
    expect(first.turns.filter((t) => t.action === 'thinking').map((t) => t.content)).toEqual([
      'He wants to know: Ask about his deafness',
    ]);
    expect(first.judgments.map((j) => j.dimension)).toEqual(REPORT_DIMENSIONS.multi);
    expect(first.judgments[0]!.reasoning).toMatch(/The answer earns \d/);
    const single = await call(env.studio, 'eval/report-answers', {
      characterId,
      systemId: ids.chatgpt!,
      mode: 'single',
    });
    expect(single.answers[0]!.judgments.find((j) => j.dimension === 'values')).toMatchObject({ score: null });
  });

  it('compares two systems: per-dimension change with both intervals, moved questions, answers side by side', async () => {
    const c = await call(env.studio, 'eval/report-compare', {
      characterId,
      a: ids.sft!,
      b: ids.chatgpt!,
      mode: 'single',
    });
    // Per judge: a change is never read across two judges' scores.
    expect(c.changes.map((x) => [x.judge, x.dimension])).toEqual([
      ...REPORT_DIMENSIONS.single.map((d) => ['judge-a', d]),
      ...REPORT_DIMENSIONS.single.map((d) => ['judge-b', d]),
    ]);
    expect(c.changes.every((x) => x.a.judge === x.judge && x.b.judge === x.judge)).toBe(true);
    expect(c.changes.find((x) => x.judge === 'judge-b' && x.dimension === 'memorization')).toMatchObject({
      delta: null,
      a: { mean: 7, count: 6 },
      b: { mean: null },
    });
    expect(c.moved.every((m) => m.judge === 'judge-a')).toBe(true);
    for (const ch of c.changes.filter((x) => x.judge === 'judge-a')) {
      expect(ch.delta).toBeCloseTo(ch.b.mean! - ch.a.mean!, 10);
      expect(ch.a.low).not.toBeNull();
      expect(ch.b.high).not.toBeNull();
    }
    expect(c.pairs).toHaveLength(SINGLE);
    expect(c.pairs.every((p) => p.a && p.b && p.a.question === p.b.question)).toBe(true);
    const deltas = c.moved.map((m) => Math.abs(m.delta));
    expect(deltas).toEqual([...deltas].sort((x, y) => y - x));
    const withEmpty = await call(env.studio, 'eval/report-compare', {
      characterId,
      a: ids.sft!,
      b: ids.unjudged!,
      mode: 'single',
    });
    expect(withEmpty.changes.every((x) => x.delta === null && x.b.mean === null)).toBe(true);
    expect(withEmpty.moved).toEqual([]);
  });

  it('counts pairwise comparisons per dimension: a win needs both orders, a split pair is a tie', async () => {
    const before = await call(env.studio, 'eval/report', { characterId });
    expect(before.pairwise).toEqual([]);
    const pair = (
      i: number,
      dimension: JudgeDimension,
      ab: PairSide | null | undefined,
      ba: PairSide | null | undefined,
      model = 'judge-a',
    ) => ({
      systemA: ids.sft!,
      systemB: ids.chatgpt!,
      interviewA: interviewsOf.sft![i]!,
      interviewB: interviewsOf.chatgpt![i]!,
      dimension,
      ab,
      ba,
      model,
    });
    seedPairs(env.studio.db, characterId, [
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
    const r = await call(env.studio, 'eval/report', { characterId });
    const head = { systemA: ids.sft, systemB: ids.chatgpt };
    expect(r.pairwise).toEqual([
      {
        ...head,
        mode: 'single',
        dimension: 'values',
        judge: 'judge-a',
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
        judge: 'judge-b',
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
        judge: 'judge-a',
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
    const summary = await call(env.studio, 'eval/pairwise/summary', {
      characterId,
      systemA: ids.sft! as EvalSystemId,
      systemB: ids.chatgpt! as EvalSystemId,
    });
    const counted = (rows: typeof summary) =>
      rows.map(({ mode, dimension, model, rates: w }) => ({
        mode,
        dimension,
        judge: model,
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
    const b = await call(env.studio, 'eval/report', { characterId, judgeModel: 'judge-b' });
    expect(b.pairwise.map((p) => [p.judge, p.bWins])).toEqual([['judge-b', 1]]);
    const multi = await call(env.studio, 'eval/report', { characterId, modes: ['multi'] });
    expect(multi.pairwise.map((p) => p.dimension)).toEqual(['stability']);
    const apart = await call(env.studio, 'eval/report', { characterId, systemIds: [ids.sft!, ids.unjudged!] });
    expect(apart.pairwise).toEqual([]);
  });

  it('exports JSON, CSV and one HTML file that say the same, empty systems as empty', async () => {
    const r = await call(env.studio, 'eval/report', { characterId });
    const json = await call(env.studio, 'eval/report-export', { characterId, format: 'json' });
    expect((JSON.parse(json.content!) as EvalReport).cells).toEqual(r.cells);
    const out = path.join(tmp.dir, 'report.csv');
    const csv = await call(env.studio, 'eval/report-export', { characterId, format: 'csv', out });
    expect(csv).toMatchObject({ path: out, content: null });
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1 + r.cells.length + r.pairwise.length);
    const row = lines.find((l) => l.startsWith('score,empty,imported,single,memorization,judge-a'))!;
    expect(row).toBe('score,empty,imported,single,memorization,judge-a,0,0,0,,,,,,,,');
    const sftValues = cell(r, 'sft', 'single', 'values');
    expect(lines).toContain(
      `score,sft,imported,single,values,judge-a,${sftValues.count},0,0,${Number(sftValues.mean!.toFixed(4))},${Number(sftValues.low!.toFixed(4))},${Number(sftValues.high!.toFixed(4))},,,,,`,
    );
    expect(lines).toContain('pairwise,sft,imported,single,values,judge-a,5,1,,,,,chatgpt,2,2,1,1');
    const html = await call(env.studio, 'eval/report-export', { characterId, format: 'html' });
    expect(html.content).toMatch(/^<!doctype html>/);
    expect(html.content).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    // A chart per mode and judge, each saying whose scores it draws.
    expect(html.content!.match(/<svg /g)).toHaveLength(4);
    expect(html.content).toContain('<h2>Single-turn · judged by judge-b</h2>');
    expect(html.content).toContain('<h3>sft vs chatgpt · Single-turn · judged by judge-a</h3>');
    expect(html.content).toContain('<td>2 <small>(1 inconsistent)</small></td>');
    expect(html.content).toContain('when the two orders disagree the pair counts as a tie');
    const bad = await callError(env.studio, 'eval/report-export', { characterId, format: 'csv', out: 'relative.csv' });
    expect(bad.message).toMatch(/absolute path/);
  });

  it('takes --judge as judge does (<provider>[/<model>]), the bare model when unambiguous, and says what is wrong', async () => {
    const provider = (name: string, model: string) =>
      call(env.studio, 'providers/create', { ...fakeProviderDraft('http://127.0.0.1:9/v1', name), model });
    await provider('Judges', 'judge-a');
    // A provider named like a judge model, whose own model is the other judge: "judge-b" names two.
    await provider('judge-b', 'judge-a');
    await env.studio.shutdown();
    const memorization = async (judge: string) => {
      const res = await runCliIn(env.dir, ['report', 'Beethoven', '--systems', 'sft', '--judge', judge, '--json']);
      expect(res.code, res.err).toBe(0);
      const r = JSON.parse(res.out) as EvalReport;
      return {
        judge: r.settings.judgeModel,
        count: cell(r, 'sft', 'single', 'memorization', r.settings.judgeModel!).count,
      };
    };
    // The provider alone: its own model. The provider and a model: that model.
    expect(await memorization('judges')).toEqual({ judge: 'judge-a', count: SINGLE });
    expect(await memorization('Judges/judge-b')).toEqual({ judge: 'judge-b', count: 6 });
    // The old form, a bare model that judged: still read while it names one judge.
    expect(await memorization('judge-a')).toEqual({ judge: 'judge-a', count: SINGLE });
    const twice = await runCliIn(env.dir, ['report', 'Beethoven', '--judge', 'judge-b']);
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(
      /--judge "judge-b" names two judges: the model "judge-b", and provider "judge-b" with model "judge-a"\. Write <provider>\/<model>/,
    );
    const none = await runCliIn(env.dir, ['report', 'Beethoven', '--judge', 'Judges/gpt-9']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(
      /Judges's model "gpt-9" has judged no answer of this character\. Judges: "judge-a", "judge-b"/,
    );
    const unknown = await runCliIn(env.dir, ['report', 'Beethoven', '--judge', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('--judge "nobody": name the judge as <provider>[/<model>] (providers: ');
    expect(unknown.err).toContain('or a model that judged. Judges: "judge-a", "judge-b".');
    env = { ...env, studio: makeStudio(env.dir).studio };
  });

  it('prints the report and writes its files from the CLI', async () => {
    const csv = path.join(tmp.dir, 'cli.csv');
    const html = path.join(tmp.dir, 'cli.html');
    await env.studio.shutdown();
    const res = await runCliIn(env.dir, [
      'report',
      'Beethoven',
      '--systems',
      'sft,empty',
      '--csv',
      csv,
      '--html',
      html,
    ]);
    expect(res.code, res.err).toBe(0);
    expect(res.out).toMatch(/Single-turn, judged by judge-a \(mean \[95% interval\] n\)/);
    expect(res.out).toMatch(
      /Single-turn, judged by judge-b \(mean \[95% interval\] n\)\n.*\n^sft\s+24\s+7\.00 \[7\.00, 7\.00\] n=6/m,
    );
    expect(res.out).toMatch(/^empty\s+0\s+no scores\s+no scores/m);
    // sft against empty: no comparison, so no pairwise section; both systems have it below.
    expect(res.out).toMatch(/^sft\s+24\s+\d\.\d\d \[\d\.\d\d, \d\.\d\d\] n=24/m);
    expect(fs.readFileSync(csv, 'utf8').split('\n')[0]).toBe(
      'row,system,kind,mode,dimension,judge,count,unscored,unjudged,mean,ci_low,ci_high,versus,a_wins,ties,b_wins,inconsistent',
    );
    expect(fs.readFileSync(html, 'utf8')).toContain('no scores');
    expect(res.out).not.toContain('Pairwise');
    const both = await runCliIn(env.dir, ['report', 'Beethoven', '--systems', 'sft,chatgpt', '--judge', 'judge-a']);
    expect(both.out).toContain('Pairwise (A system wins a pair only when the judge prefers it in both orders');
    expect(both.out).toContain('sft vs chatgpt, Single-turn, judged by judge-a');
    expect(both.out).toMatch(/^dimension\s+sft wins\s+ties\s+chatgpt wins\s+pairs$/m);
    expect(both.out).toMatch(/^values\s+2\s+2 \(1 inconsistent\)\s+1\s+5 \+ 1 unscored$/m);
    const json = await runCliIn(env.dir, ['report', 'Beethoven', '--mode', 'multi', '--json']);
    expect((JSON.parse(json.out) as EvalReport).settings.modes).toEqual(['multi']);
    const compared = await runCliIn(env.dir, ['report', 'Beethoven', '--compare', 'sft,chatgpt']);
    expect(compared.code, compared.err).toBe(0);
    expect(compared.out).toMatch(/What changed from sft to chatgpt \(Single-turn, each judge apart/);
    expect(compared.out).toMatch(/^values\s+judge-a\s+\d\.\d\d \[[\d., ]+\]\s+\d\.\d\d \[[\d., ]+\]\s+[+-]\d\.\d\d$/m);
    expect(compared.out).toMatch(/^memorization\s+judge-b\s+7\.00 \[7\.00, 7\.00\]\s+no scores\s+—$/m);
    expect(compared.out).toMatch(/Questions whose scores moved most:\n {2}\d\.\d → \d\.\d \(judge-a\) {2}\S/);
    const unknown = await runCliIn(env.dir, ['report', 'Beethoven', '--systems', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/No system "nobody".*"sft", "chatgpt", "unjudged", "empty"/);
    env = { ...env, studio: makeStudio(env.dir).studio };
  });
});
