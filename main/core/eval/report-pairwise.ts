/**
 * The report's pairwise section: per pair of systems, mode, dimension and judge, how many pairs A
 * won, tied and B won, counted by `countPairs` (common/pairwise-rule.ts), as the Judge tab counts
 * them: a win needs both orders to agree, and a pair whose orders disagree is a tie (counted apart
 * as `inconsistent` too). Pure.
 */
import type { PairCounts, PairOutcome, ReportMode, ReportPairwise } from '../../../common/contract';
import { isByJudge, judgeNameOf } from '../../../common/judge-name';
import { countPairs, pairOutcome } from '../../../common/pairwise-rule';
import type { InterviewRow, PairRow } from '../../store/eval-report-repo';
import { REPORT_DIMENSIONS } from './report-build';

const MODES: ReportMode[] = ['single', 'multi'];

/**
 * `interviews`: the report's interviews under its filters (mode, topic); a pair counts when its
 * A interview is among them. `judgeModel`: only that judge model's comparisons. A judge is a model
 * and a prompt version (`judgeNameOf`, as the Judge tab's Pairwise card counts them): a pair
 * re-asked with a newer prompt version counts for each apart. Pairs with an order not asked yet
 * (a job still running or stopped) are left out; an order asked but unreadable leaves it unscored.
 */
export function reportPairwise(
  rows: readonly PairRow[],
  systemIds: readonly string[],
  interviews: readonly InterviewRow[],
  judgeModel: string | null,
): ReportPairwise[] {
  const modeOf = new Map(interviews.map((i) => [i.id, i.mode] as const));
  const latest = new Map<string, PairRow>();
  for (const row of rows) {
    if (judgeModel && !isByJudge(row.judgeModel, row.promptVersion, judgeModel)) continue;
    if (!row.abDone || !row.baDone || !modeOf.has(row.interviewA)) continue;
    const key = [row.interviewA, row.interviewB, row.dimension, judgeNameOf(row.judgeModel, row.promptVersion)].join(
      '\u0000',
    );
    const seen = latest.get(key);
    if (!seen || row.createdAt >= seen.createdAt) latest.set(key, row);
  }
  const groups = new Map<string, { head: Omit<ReportPairwise, keyof PairCounts>; outcomes: (PairOutcome | null)[] }>();
  for (const row of latest.values()) {
    const mode = modeOf.get(row.interviewA)!;
    const judge = judgeNameOf(row.judgeModel, row.promptVersion);
    const key = [row.systemA, row.systemB, mode, row.dimension, judge].join('\u0000');
    let group = groups.get(key);
    if (!group) {
      const head = {
        systemA: row.systemA,
        systemB: row.systemB,
        mode,
        dimension: row.dimension,
        judge,
      };
      group = { head, outcomes: [] };
      groups.set(key, group);
    }
    group.outcomes.push(pairOutcome(row.abSide, row.baSide));
  }
  const rank = (id: string) => systemIds.indexOf(id);
  return [...groups.values()]
    .map(({ head, outcomes }) => ({ ...head, ...countPairs(outcomes) }))
    .sort(
      (x, y) =>
        rank(x.systemA) - rank(y.systemA) ||
        rank(x.systemB) - rank(y.systemB) ||
        MODES.indexOf(x.mode) - MODES.indexOf(y.mode) ||
        REPORT_DIMENSIONS[x.mode].indexOf(x.dimension) - REPORT_DIMENSIONS[y.mode].indexOf(y.dimension) ||
        x.judge.localeCompare(y.judge),
    );
}
