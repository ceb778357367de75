/**
 * A report from rows: which judgment counts for each answer and dimension, and the cells (mean,
 * interval, count) per system × mode × dimension. Pure; the service reads the rows.
 */
import type {
  DimensionChange,
  EvalSystemId,
  JudgeDimension,
  MovedQuestion,
  ReportAnswer,
  ReportCell,
  ReportJudgment,
  ReportMode,
  ReportSystem,
  ScoreSummary,
} from '../../../common/contract';
import { isByJudge, judgeNameOf } from '../../../common/judge-name';
import type { InterviewRow, JudgmentRow } from '../../store/eval-report-repo';
import { summarize, tally, type BootstrapOptions } from './stats';

/** The paper's dimensions in its order; stability is judged on multi-turn interviews only (METHOD.md §3). */
export const REPORT_DIMENSIONS: Record<ReportMode, string[]> = {
  single: ['memorization', 'values', 'personality', 'hallucination'],
  multi: ['memorization', 'values', 'personality', 'hallucination', 'stability'],
};

/** The same question across systems and question-set versions: its text, spaces and case aside. */
export const questionKeyOf = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

/** The judge of a judgment: its model and prompt version (common/judge-name.ts). */
export const judgeOf = (row: JudgmentRow): string => judgeNameOf(row.judgeModel, row.promptVersion);

/**
 * The judgment that counts per interview and dimension: the latest one, or the latest of the
 * chosen `judge` (re-judging keeps both; a report reads one). `judge` is a judge's name (one
 * model and prompt version), or a judge model alone (the latest of its prompt versions).
 */
export function pickJudgments(rows: readonly JudgmentRow[], judge: string | null): Map<string, JudgmentRow> {
  const picked = new Map<string, JudgmentRow>();
  for (const row of rows) {
    if (judge && !isByJudge(row.judgeModel, row.promptVersion, judge)) continue;
    const key = `${row.interviewId}\u0000${row.dimension}`;
    const seen = picked.get(key);
    if (!seen || row.createdAt >= seen.createdAt) picked.set(key, row);
  }
  return picked;
}

export function judgmentOf(picked: Map<string, JudgmentRow>, interviewId: string, dimension: string) {
  return picked.get(`${interviewId}\u0000${dimension}`);
}

/**
 * The scores of one cell (a system's interviews of one mode, one dimension): the picked
 * judgment's score of each interview judged (null when unscored), in interview order. Every mean
 * score is over these: the report's cells and the judge's summary.
 */
export function cellScores(
  own: readonly InterviewRow[],
  picked: Map<string, JudgmentRow>,
  dimension: string,
): (number | null)[] {
  const scores: (number | null)[] = [];
  for (const interview of own) {
    const judgment = judgmentOf(picked, interview.id, dimension);
    if (judgment) scores.push(judgment.score);
  }
  return scores;
}

/**
 * `eval/judgments/summary`: the report's cells without intervals, one judge (model and prompt
 * version) at a time, each judge's cells with at least one judgment. Ordered by system, mode,
 * judge, then the paper's dimension order.
 */
export function judgeMeans(interviews: readonly InterviewRow[], judgments: readonly JudgmentRow[]): ScoreSummary[] {
  const byJudge = groupBy(judgments, judgeOf);
  const groups = groupBy(interviews, (i) => `${i.systemId}\u0000${i.mode}`);
  const means: ScoreSummary[] = [];
  const judges = [...byJudge.keys()].sort().map((key) => {
    const rows = byJudge.get(key)!;
    return { judge: rows[0]!, picked: pickJudgments(rows, key) };
  });
  // The interviews come ordered by system and mode, so their groups do.
  for (const own of groups.values()) {
    const { systemId, mode } = own[0]!;
    for (const { judge, picked } of judges) {
      for (const dimension of REPORT_DIMENSIONS[mode]) {
        const scores = cellScores(own, picked, dimension);
        if (scores.length === 0) continue;
        const { tally: t } = tally(scores);
        means.push({
          systemId: systemId as EvalSystemId,
          mode,
          dimension: dimension as JudgeDimension,
          model: judge.judgeModel,
          promptVersion: judge.promptVersion,
          mean: t.mean,
          scored: t.count,
          unscored: t.unscored,
        });
      }
    }
  }
  return means;
}

/** Items by key, keys and items in the order met. */
function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/**
 * The judges a report shows, each apart (a judge being a model and a prompt version, as the Judge
 * tab's): every judge that scored one of the report's interviews, sorted, only those of
 * `judge` (a judge, or a judge model) when one is chosen; [judge] or [null] while none has.
 */
export function reportJudges(
  interviews: readonly InterviewRow[],
  judgments: readonly JudgmentRow[],
  judge: string | null,
): (string | null)[] {
  const ids = new Set(interviews.map((i) => i.id));
  const chosen = judgments.filter(
    (j) => ids.has(j.interviewId) && (!judge || isByJudge(j.judgeModel, j.promptVersion, judge)),
  );
  const judges = [...new Set(chosen.map(judgeOf))].sort();
  return judges.length > 0 ? judges : [judge];
}

/**
 * One cell per system × mode × dimension by `judge` (only its judgments count), empty ones
 * included (mean null, never 0).
 */
export function buildCells(
  systems: readonly ReportSystem[],
  modes: readonly ReportMode[],
  interviews: readonly InterviewRow[],
  judgments: readonly JudgmentRow[],
  judge: string | null,
  options: BootstrapOptions,
): ReportCell[] {
  const picked = pickJudgments(judge === null ? [] : judgments, judge);
  const cells: ReportCell[] = [];
  for (const system of systems) {
    for (const mode of modes) {
      const own = interviews.filter((i) => i.systemId === system.id && i.mode === mode);
      for (const dimension of REPORT_DIMENSIONS[mode]) {
        const scores = cellScores(own, picked, dimension);
        const s = summarize(scores, { ...options, key: `${system.id}/${mode}/${dimension}` });
        cells.push({
          systemId: system.id,
          mode,
          dimension,
          judge,
          count: s.count,
          unscored: s.unscored,
          unjudged: own.length - scores.length,
          mean: s.mean,
          low: s.interval?.low ?? null,
          high: s.interval?.high ?? null,
        });
      }
    }
  }
  return cells;
}

/** Per judge of the cells, per dimension: both cells by that judge and the change of the mean from `a` to `b`. */
export function dimensionChanges(
  cells: readonly ReportCell[],
  a: string,
  b: string,
  mode: ReportMode,
): DimensionChange[] {
  const judges = [...new Set(cells.map((c) => c.judge))];
  return judges.flatMap((judge) =>
    REPORT_DIMENSIONS[mode].map((dimension) => {
      const find = (id: string) =>
        cells.find((c) => c.systemId === id && c.mode === mode && c.dimension === dimension && c.judge === judge)!;
      const before = find(a);
      const after = find(b);
      const delta = before.mean !== null && after.mean !== null ? after.mean - before.mean : null;
      return { dimension, judge, a: before, b: after, delta };
    }),
  );
}

function meanScore(judgments: readonly ReportJudgment[], dimensions: ReadonlySet<string>): number {
  const scores = judgments.filter((j) => dimensions.has(j.dimension)).map((j) => j.score!);
  return scores.reduce((s, v) => s + v, 0) / scores.length;
}

/**
 * Questions both systems answered whose mean score over the dimensions scored in both moved most,
 * largest |delta| first; ties keep question order. A question whose score did not move is not
 * listed (the list said "3.0 → 3.0" under "moved most"), nor a question twice.
 */
export function movedQuestions(
  a: readonly ReportAnswer[],
  b: readonly ReportAnswer[],
  judge: string,
  limit = 20,
): MovedQuestion[] {
  const after = new Map(b.map((x) => [x.questionKey, x] as const));
  const moved: MovedQuestion[] = [];
  const seen = new Set<string>();
  for (const before of a) {
    const other = after.get(before.questionKey);
    if (!other || seen.has(before.questionKey)) continue;
    seen.add(before.questionKey);
    const scored = (x: ReportAnswer) => new Set(x.judgments.filter((j) => j.score !== null).map((j) => j.dimension));
    const inB = scored(other);
    const both = new Set([...scored(before)].filter((d) => inB.has(d)));
    if (both.size === 0) continue;
    const was = meanScore(before.judgments, both);
    const is = meanScore(other.judgments, both);
    if (Math.abs(is - was) < 1e-9) continue;
    moved.push({
      questionKey: before.questionKey,
      judge,
      question: before.question,
      topicId: before.topicId,
      before: was,
      after: is,
      delta: is - was,
    });
  }
  return largestMoves(moved, limit);
}

/** Largest |delta| first, ties in the order given, at most `limit`. */
export function largestMoves(moved: readonly MovedQuestion[], limit = 20): MovedQuestion[] {
  return moved
    .map((m, i) => [m, i] as const)
    .sort((x, y) => Math.abs(y[0].delta) - Math.abs(x[0].delta) || x[1] - y[1])
    .slice(0, limit)
    .map(([m]) => m);
}
