/**
 * Jobs: every long piece of work kept as a row (generation runs, regenerations, later interviews and
 * judging), controlled the same way whatever its kind. Types only.
 */

import type { CharacterId, JobId } from './base';
import type { InterviewSettings } from './eval';
import type { JudgeSettings } from './eval-judge';
import type { GenerationSettings, Stage } from './generation';
import type { RegenerateSettings } from './regenerate';

export type JobStatus = 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/**
 * What a job does: `generation` builds a character's dataset (scenes → experiences → protective);
 * `regenerate` rewrites existing scenes (their experience, or one turn) with a written instruction;
 * `interview` interviews evaluation systems on a question set (common/contract/eval.ts); `judge`
 * scores interviews and compares two systems' answers (common/contract/eval-judge.ts).
 */
export type JobKindName = Job['kind'];

/**
 * The stage a job's items belong to: a generation's stages, and one stage per evaluation kind
 * (`interviews`; the judge adds its own). Items of a stage are counted and shown together.
 */
export type JobStage = Stage | 'interviews' | 'judgments' | 'pairwise';

/** An item whose last attempt failed: `reason` is that attempt's error. */
export interface ItemFailure {
  itemId: string;
  stage: JobStage;
  reason: string;
  at: number;
  /** True when the item ran out of attempts; false while it waits for another one. */
  failed: boolean;
}

/** What a finished item could not use from its answer (the answer stays on record with its call). */
export interface ItemNote {
  itemId: string;
  stage: JobStage;
  text: string;
  at: number;
}

export interface StageProgress {
  stage: JobStage;
  done: number;
  failed: number;
  total: number;
}

/** What every job shows, whatever its kind. */
interface JobCommon {
  id: JobId;
  characterId: CharacterId;
  status: JobStatus;
  /** The stage an item is out for (a regeneration writes experiences: `experiences`). */
  stage: JobStage | null;
  stages: StageProgress[];
  done: number;
  total: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /**
   * Calls with tokens but no cost: a metered provider answered with a model that has no price set
   * (Settings → Prices). Not in `costUsd`, which is then a lower bound.
   */
  unpricedCalls: number;
  /** Estimated seconds left, null until measurable. */
  etaSeconds: number | null;
  /**
   * True while another process runs it (a terminal's `generate`, another window): its progress here
   * is read from the store every second, and a pause or cancel is asked of that process.
   */
  runsElsewhere: boolean;
  /** Why it paused, failed or finished short. */
  message: string | null;
  /** Calls cut off by a crash: sent, maybe billed, their cost unknown (not in `costUsd`). */
  interruptedCalls: number;
  recentFailures: ItemFailure[];
  /**
   * Items that succeeded with parts of their answer left unread (scene blocks missing a field), or
   * whose result was kept aside (a regeneration of a scene edited meanwhile): nothing is dropped
   * silently. `notedItems` counts them all, `notes` holds the latest few.
   */
  notedItems: number;
  notes: ItemNote[];
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface GenerationJob extends JobCommon {
  kind: 'generation';
  settings: GenerationSettings;
}

export interface RegenerateJob extends JobCommon {
  kind: 'regenerate';
  settings: RegenerateSettings;
}

/**
 * Interviews of evaluation systems on a question set: one item per interview (system × question ×
 * mode); a multi-turn item stores each round as it ends, so a resumed job goes on at that round.
 */
export interface InterviewJob extends JobCommon {
  kind: 'interview';
  settings: InterviewSettings;
}

/** A job as every door shows it; `kind` says which settings it carries (the judge's kinds join here). */
/**
 * The judge: stage `judgments`, one item per interview × dimension (a score, or unscored); stage
 * `pairwise`, one item per shared question × dimension × order (both orders of every pair).
 */
export interface JudgeJob extends JobCommon {
  kind: 'judge';
  settings: JudgeSettings;
}

export type Job = GenerationJob | RegenerateJob | InterviewJob | JudgeJob;

export interface JobCommands {
  /** Every job of the character, newest first, of every kind. */
  'jobs/list': (arg: { characterId: CharacterId }) => Job[];
  'jobs/get': (arg: { id: JobId }) => Job;
  /** Jobs whose id is `key` or starts with it, in id order, at most 10 (as `scenes/match`). */
  'jobs/match': (arg: { key: string }) => { id: JobId; characterId: CharacterId }[];
  'jobs/pause': (arg: { id: JobId }) => Job;
  /** Goes on where it stopped; a failed job too. Items whose attempts ran out get fresh ones. */
  'jobs/resume': (arg: { id: JobId }) => Job;
  /** Raises (or lowers, or removes) the spending cap of a job that is not running; resume to go on. */
  'jobs/set-budget': (arg: { id: JobId; budgetUsd: number | null }) => Job;
  'jobs/cancel': (arg: { id: JobId }) => Job;
  /** Puts failed items (and items waiting after a failed attempt) back in the queue with fresh attempts. */
  'jobs/retry': (arg: { id: JobId; itemId?: string }) => Job;
}

export interface JobEvents {
  /** Throttled to a few a second per job. */
  'jobs/progressed': Job;
}
