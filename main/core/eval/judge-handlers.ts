import type { JudgeCommands } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { JudgeService } from './judge-service';
import type { EvalReportService } from './report-service';

/**
 * The judge's commands, one line each (joined into the studio's handlers). The mean scores are
 * the reports' (one computation of a mean score).
 */
export function judgeHandlers(judge: JudgeService, reports: EvalReportService): Pick<Handlers, keyof JudgeCommands> {
  return {
    'eval/judge/start': (request) => judge.start(request),
    'eval/judgments/list': (filter) => judge.judgments(filter),
    'eval/judgments/summary': ({ characterId }) => reports.scoreSummary(characterId),
    'eval/pairwise/list': (filter) => judge.pairs(filter),
    'eval/pairwise/summary': ({ characterId, systemA, systemB }) => judge.summary(characterId, systemA, systemB),
  };
}
