import type {
  CharacterId,
  EvalSystemId,
  InterviewId,
  JudgeDimension,
  JudgeSettings,
  PairOrder,
} from '../../../common/contract';
import type { NewItem } from '../../store/job-items-repo';
import type { JudgmentsRepo } from '../../store/judgments-repo';
import type { IdFactory } from '../clock';
import { dimensionsFor } from './judge-prompts';
import { PAIR_ORDERS } from './pairwise';
import { questionKeyOf } from './report-build';

/**
 * The plan of a judge job: which items it holds and what each item's input says. Kept apart from
 * `JudgeService` (which asks the judge and stores verdicts) because planning only reads what is
 * judged already and decides what is left: no calls, no writes, and the pairing rule lives here.
 *
 * Items: one judgment per finished interview × dimension (`judgments`), and for a pairwise
 * comparison one item per shared question × dimension × order (`pairwise`). An item's key names
 * what it judges, so a question judged once by this model and prompt is never planned again.
 */
export const SCORE_STAGE = 'judgments' as const;
export const PAIR_STAGE = 'pairwise' as const;
export type JudgeStage = typeof SCORE_STAGE | typeof PAIR_STAGE;

export interface ScoreInput {
  interviewId: InterviewId;
  dimension: JudgeDimension;
}

export interface PairInput {
  interviewA: InterviewId;
  interviewB: InterviewId;
  dimension: JudgeDimension;
  order: PairOrder;
}

/** The question two interviews share: same mode, same text once spacing and case are set aside (as the report pairs them). */
function questionKey(mode: string, question: string): string {
  return `${mode}\u0000${questionKeyOf(question)}`;
}

/** One item per finished interview of the chosen systems × dimension not judged yet by this judge. */
export function scoreItems(
  repo: JudgmentsRepo,
  newId: IdFactory,
  characterId: CharacterId,
  s: JudgeSettings,
): NewItem[] {
  const judged = repo.judgedBy(characterId, s.model, s.promptVersion);
  const items: NewItem[] = [];
  for (const interview of repo.finishedInterviews(s.systemIds, s.mode)) {
    for (const dimension of dimensionsFor(interview.mode)) {
      if (!s.dimensions.includes(dimension) || judged.has(`${interview.id}:${dimension}`)) continue;
      const input: ScoreInput = { interviewId: interview.id, dimension };
      items.push({ id: newId(), stage: SCORE_STAGE, key: `judge:${interview.id}:${dimension}`, input });
    }
  }
  return items;
}

/**
 * Both orders of every pair not asked yet: systems A and B are compared on every question both
 * answered in a finished interview of the same mode, matched by the question's text (so answers
 * imported from the paper's files meet our own interviews of the same question); where a system
 * answered a question more than once, its latest interview stands.
 */
export function pairItems(
  repo: JudgmentsRepo,
  newId: IdFactory,
  characterId: CharacterId,
  s: JudgeSettings,
): NewItem[] {
  if (!s.pairwise) return [];
  const latest = (system: EvalSystemId) => {
    const byQuestion = new Map<string, InterviewId>();
    for (const i of repo.finishedInterviews([system], s.mode)) byQuestion.set(questionKey(i.mode, i.question), i.id);
    return byQuestion;
  };
  const a = latest(s.pairwise.a);
  const b = latest(s.pairwise.b);
  const asked = repo.pairOrdersAsked(characterId, s.model, s.pairwisePromptVersion);
  const items: NewItem[] = [];
  for (const [key, interviewA] of a) {
    const interviewB = b.get(key);
    if (!interviewB) continue;
    const mode = key.startsWith('multi') ? 'multi' : 'single';
    for (const dimension of dimensionsFor(mode)) {
      if (!s.dimensions.includes(dimension)) continue;
      for (const order of PAIR_ORDERS) {
        const name = `${interviewA}:${interviewB}:${dimension}:${order}`;
        if (asked.has(name)) continue;
        const input: PairInput = { interviewA, interviewB, dimension, order };
        items.push({ id: newId(), stage: PAIR_STAGE, key: `pair:${name}`, input });
      }
    }
  }
  return items;
}
