/**
 * The judge (issue 12, points 3 and 4): an LLM scores each interview on the paper's dimensions
 * (../shared/METHOD.md §3), and compares two systems' answers to the same question in both orders.
 * Stored by migration 018 (`judgments`, `pairwise_judgments`); run as `judge` jobs. Types only.
 */

import type { CallId, CharacterId, JobId, ProviderId } from './base';
import type { EvalSystemId, InterviewId, QuestionMode } from './eval';
import type { JudgeJob } from './jobs';

/** The paper's five criteria; `stability` applies to multi-turn interviews only. */
export type JudgeDimension = 'memorization' | 'values' | 'personality' | 'hallucination' | 'stability';

/**
 * Why a judge's answer could not be read (see main/core/eval/judge-parse.ts for the exact rule):
 * `cut_off` is an answer stopped at the token limit before its verdict.
 */
export type JudgeFailureReason =
  'empty' | 'missing' | 'prose' | 'out_of_range' | 'malformed' | 'contradictory' | 'no_reasoning' | 'cut_off';

/** One unreadable answer, kept with the judgment it belongs to. */
export interface JudgeFailure {
  /** 1-based: which ask of the judgment it was. */
  attempt: number;
  reason: JudgeFailureReason;
  message: string;
  callId: CallId;
}

/** Who judged: the provider's name and the model asked, and the version of our prompt. */
export interface JudgeIdentity {
  providerId: ProviderId | null;
  /** The provider's name when it judged (kept if the provider is renamed or deleted). */
  provider: string;
  model: string;
  promptVersion: string;
}

/**
 * One interview scored on one dimension by one judge. `score` is a whole number 1–7, or null:
 * UNSCORED (every ask was unreadable; `failures` says why). Never a guessed number.
 * Unique on (interview, dimension, judge model, prompt version): another judge adds a row.
 */
export interface Judgment extends JudgeIdentity {
  id: string;
  characterId: CharacterId;
  interviewId: InterviewId;
  systemId: EvalSystemId;
  mode: QuestionMode;
  dimension: JudgeDimension;
  score: number | null;
  /** The judge's reasoning before its score (of the readable answer; of the last one when unscored). */
  reasoning: string | null;
  failures: JudgeFailure[];
  /** Every call made for it, in order (the readable one last). */
  callIds: CallId[];
  jobId: JobId | null;
  createdAt: number;
}

/** What one order of a pair says about the systems once the swap is undone. */
export type PairSide = 'a' | 'b' | 'tie';
/** Both orders agree (`a`, `b`, `tie`), or they disagree (`inconsistent`: position bias or indecision). */
export type PairOutcome = PairSide | 'inconsistent';
export type PairOrder = 'ab' | 'ba';

/** One order of a pair as asked and read. */
export interface PairAsk {
  /** Null while not asked yet, or when every ask was unreadable (see `failures`). */
  side: PairSide | null;
  reasoning: string | null;
  failures: JudgeFailure[];
  callIds: CallId[];
}

/**
 * Two systems' interviews on the same question, compared on one dimension by one judge, asked in
 * both orders (`ab`: A's answer shown first; `ba`: B's first). `outcome` is null until both orders
 * are read (an unreadable order leaves the pair unscored). Unique on (interview A, interview B,
 * dimension, judge model, prompt version).
 */
export interface PairwiseJudgment extends JudgeIdentity {
  id: string;
  characterId: CharacterId;
  systemA: EvalSystemId;
  systemB: EvalSystemId;
  interviewA: InterviewId;
  interviewB: InterviewId;
  mode: QuestionMode;
  question: string;
  dimension: JudgeDimension;
  ab: PairAsk;
  ba: PairAsk;
  outcome: PairOutcome | null;
  jobId: JobId | null;
  createdAt: number;
}

export interface Interval {
  low: number;
  high: number;
}

/** A share with its 95% Wilson score interval (main/core/eval/win-rate.ts says why Wilson). */
export interface Rate extends Interval {
  rate: number;
  count: number;
}

export interface WinRates {
  /** Pairs with an outcome: the denominator of every rate. */
  pairs: number;
  /** Pairs left without one (an order unreadable), counted apart. */
  unscored: number;
  aWins: Rate;
  bWins: Rate;
  /** Both orders said tie, or the two orders disagreed (PAIRWISE_RULE, common/pairwise-rule.ts). */
  ties: Rate;
  /** Of the ties, pairs whose two orders disagreed: a share of all pairs, like the others. */
  inconsistent: Rate;
}

/** A pairwise comparison summed per dimension and judge. */
export interface PairwiseSummary {
  systemA: EvalSystemId;
  systemB: EvalSystemId;
  dimension: JudgeDimension;
  mode: QuestionMode;
  model: string;
  promptVersion: string;
  rates: WinRates;
}

/** The scores of one system on one dimension and mode by one judge (model and prompt version). */
export interface ScoreSummary {
  systemId: EvalSystemId;
  mode: QuestionMode;
  dimension: JudgeDimension;
  model: string;
  promptVersion: string;
  /** Mean of the scored judgments; null when every one is unscored. */
  mean: number | null;
  scored: number;
  /** Judgments left without a score (never counted in the mean). */
  unscored: number;
}

/** What a judge job does (stored on the job). */
export interface JudgeSettings {
  providerId: ProviderId;
  /** The judge model asked (the provider's own unless chosen). */
  model: string;
  /** The provider's name when the job started. */
  provider: string;
  /** Systems whose interviews get scores; empty with `pairwise` set: only the comparison. */
  systemIds: EvalSystemId[];
  dimensions: JudgeDimension[];
  /** Only interviews of this mode; null: both. */
  mode: QuestionMode | null;
  /** Compare these two systems question by question, in both orders. */
  pairwise: { a: EvalSystemId; b: EvalSystemId } | null;
  /** Asks after the first when an answer is unreadable (default 2); then the judgment is unscored. */
  maxRetries: number;
  promptVersion: string;
  pairwisePromptVersion: string;
  budgetUsd: number | null;
}

export interface JudgeRequest {
  characterId: CharacterId;
  /** Systems to score; absent: every system of the character with finished interviews (when scores are asked). */
  systemIds?: EvalSystemId[];
  /** Absent: the provider of the character's last job, else the only provider. */
  providerId?: ProviderId;
  /** Absent: the provider's model. */
  model?: string;
  /** Absent: every dimension (stability only on multi-turn interviews). */
  dimensions?: JudgeDimension[];
  mode?: QuestionMode;
  pairwise?: { a: EvalSystemId; b: EvalSystemId };
  /** False: only the pairwise comparison, no scores. Default: true, except with `pairwise` and no `systemIds`. */
  scores?: boolean;
  maxRetries?: number;
  budgetUsd?: number | null;
}

export interface JudgmentFilter {
  characterId: CharacterId;
  interviewId?: InterviewId;
  systemId?: EvalSystemId;
  jobId?: JobId;
}

export interface PairwiseFilter {
  characterId: CharacterId;
  systemA?: EvalSystemId;
  systemB?: EvalSystemId;
  jobId?: JobId;
}

export interface JudgeCommands {
  /**
   * Starts a `judge` job: one item per finished interview × applicable dimension not yet judged by
   * this judge model and prompt version, and with `pairwise`, two items (both orders) per question
   * both systems answered × dimension. Refused when there is nothing to judge.
   */
  'eval/judge/start': (arg: JudgeRequest) => JudgeJob;
  /** Judgments, newest first (every judge's: re-judging keeps both). */
  'eval/judgments/list': (arg: JudgmentFilter) => Judgment[];
  /**
   * Mean scores per system, mode, dimension and judge (model and prompt version) over the live
   * systems' finished interviews, computed as a report's cells are (no reasoning sent).
   */
  'eval/judgments/summary': (arg: { characterId: CharacterId }) => ScoreSummary[];
  'eval/pairwise/list': (arg: PairwiseFilter) => PairwiseJudgment[];
  /** Win rates of A against B per dimension, mode and judge, with 95% intervals. */
  'eval/pairwise/summary': (arg: {
    characterId: CharacterId;
    systemA: EvalSystemId;
    systemB: EvalSystemId;
  }) => PairwiseSummary[];
}

export interface JudgeEvents {
  /** Judgments or pairwise verdicts were stored (throttled with the job's progress). */
  'eval/judgments/changed': { characterId: CharacterId; jobId: JobId | null };
}
