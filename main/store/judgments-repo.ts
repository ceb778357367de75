import type {
  CallId,
  CharacterId,
  EvalSystemId,
  InterviewId,
  JobId,
  JudgeDimension,
  JudgeFailure,
  Judgment,
  JudgmentFilter,
  PairAsk,
  PairOrder,
  PairSide,
  PairwiseFilter,
  PairwiseJudgment,
  ProviderId,
  QuestionMode,
} from '../../common/contract';
import { pairOutcome } from '../../common/pairwise-rule';
import type { Db } from './database';
import { rowMapper } from './row-mapper';

/**
 * SQL of the judge (migration 018): judgments, pairwise comparisons, and the reads of interviews a
 * judge job plans from. Interviews and their turns belong to the evaluation repository; the few
 * reads here are what planning needs of them (finished ones, their question, the job that ran them).
 */

/** A finished interview, as a judge job plans from it. */
export interface JudgeableInterview {
  id: InterviewId;
  system_id: EvalSystemId;
  job_id: JobId | null;
  mode: QuestionMode;
  question: string;
}

/** Who judged, as stored on every row. */
export interface JudgeKey {
  providerId: ProviderId | null;
  provider: string;
  model: string;
  promptVersion: string;
}

export interface NewJudgment extends JudgeKey {
  id: string;
  characterId: CharacterId;
  interviewId: InterviewId;
  dimension: JudgeDimension;
  score: number | null;
  reasoning: string | null;
  failures: JudgeFailure[];
  callIds: CallId[];
  jobId: JobId | null;
}

export interface NewPair extends JudgeKey {
  id: string;
  characterId: CharacterId;
  systemA: EvalSystemId;
  systemB: EvalSystemId;
  interviewA: InterviewId;
  interviewB: InterviewId;
  dimension: JudgeDimension;
  jobId: JobId | null;
}

interface JudgmentRow {
  id: string;
  character_id: CharacterId;
  interview_id: InterviewId;
  system_id: EvalSystemId;
  mode: QuestionMode;
  dimension: JudgeDimension;
  provider_id: ProviderId | null;
  provider: string;
  model: string;
  prompt_version: string;
  score: number | null;
  reasoning: string | null;
  failures: string;
  call_ids: string;
  job_id: JobId | null;
  created_at: number;
}

type PairRow = {
  id: string;
  character_id: CharacterId;
  system_a: EvalSystemId;
  system_b: EvalSystemId;
  interview_a: InterviewId;
  interview_b: InterviewId;
  mode: QuestionMode;
  question: string;
  dimension: JudgeDimension;
  provider_id: ProviderId | null;
  provider: string;
  model: string;
  prompt_version: string;
  job_id: JobId | null;
  created_at: number;
} & Record<`${PairOrder}_${'side' | 'reasoning' | 'failures' | 'call_ids'}`, string | null>;

const toJudgment = rowMapper<JudgmentRow, Judgment>()({
  id: 'value',
  character_id: 'value',
  interview_id: 'value',
  system_id: 'value',
  mode: 'value',
  dimension: 'value',
  provider_id: 'value',
  provider: 'value',
  model: 'value',
  prompt_version: 'value',
  score: 'value',
  reasoning: 'value',
  failures: 'json',
  call_ids: 'json',
  job_id: 'value',
  created_at: 'value',
});

function askOf(r: PairRow, order: PairOrder): PairAsk {
  return {
    side: r[`${order}_side`] as PairSide | null,
    reasoning: r[`${order}_reasoning`],
    failures: JSON.parse(r[`${order}_failures`] ?? '[]') as JudgeFailure[],
    callIds: JSON.parse(r[`${order}_call_ids`] ?? '[]') as CallId[],
  };
}

/** A pair's own columns; what each order said is read by `askOf`. */
const pairBase = rowMapper<PairRow, Omit<PairwiseJudgment, 'ab' | 'ba' | 'outcome'>>()({
  id: 'value',
  character_id: 'value',
  system_a: 'value',
  system_b: 'value',
  interview_a: 'value',
  interview_b: 'value',
  mode: 'value',
  question: 'value',
  dimension: 'value',
  provider_id: 'value',
  provider: 'value',
  model: 'value',
  prompt_version: 'value',
  job_id: 'value',
  created_at: 'value',
  ab_side: 'skip',
  ab_reasoning: 'skip',
  ab_failures: 'skip',
  ab_call_ids: 'skip',
  ba_side: 'skip',
  ba_reasoning: 'skip',
  ba_failures: 'skip',
  ba_call_ids: 'skip',
});

function toPair(r: PairRow): PairwiseJudgment {
  const ab = askOf(r, 'ab');
  const ba = askOf(r, 'ba');
  return { ...pairBase(r), ab, ba, outcome: pairOutcome(ab.side, ba.side) };
}

const JUDGMENT_SELECT = `SELECT j.*, i.system_id, i.mode FROM judgments j JOIN interviews i ON i.id = j.interview_id`;
const PAIR_SELECT = `SELECT p.*, i.mode, i.question FROM pairwise_judgments p JOIN interviews i ON i.id = p.interview_a`;

export class JudgmentsRepo {
  constructor(private readonly db: Db) {}

  /** Finished interviews of these systems (of `mode` when given), oldest first. */
  finishedInterviews(systemIds: readonly EvalSystemId[], mode: QuestionMode | null): JudgeableInterview[] {
    if (systemIds.length === 0) return [];
    return this.db
      .prepare(
        `SELECT id, system_id, job_id, mode, question FROM interviews
         WHERE status = 'done' AND system_id IN (SELECT value FROM json_each(?)) AND (? IS NULL OR mode = ?)
         ORDER BY created_at, rowid`,
      )
      .all(JSON.stringify(systemIds), mode, mode) as JudgeableInterview[];
  }

  interview(id: InterviewId): (JudgeableInterview & { character_id: CharacterId }) | undefined {
    return this.db
      .prepare(`SELECT id, character_id, system_id, job_id, mode, question FROM interviews WHERE id = ?`)
      .get(id) as (JudgeableInterview & { character_id: CharacterId }) | undefined;
  }

  /** The job's stored settings (an interview's setting lives on its job). */
  jobSettings(id: JobId): string | undefined {
    return this.db.prepare(`SELECT settings FROM jobs WHERE id = ?`).pluck().get(id) as string | undefined;
  }

  systemCharacter(id: EvalSystemId): CharacterId | undefined {
    return this.db.prepare(`SELECT character_id FROM eval_systems WHERE id = ?`).pluck().get(id) as
      CharacterId | undefined;
  }

  /** Systems of the character with at least one finished interview. */
  systemsWithInterviews(characterId: CharacterId): EvalSystemId[] {
    return this.db
      .prepare(
        `SELECT DISTINCT system_id FROM interviews WHERE character_id = ? AND status = 'done' ORDER BY system_id`,
      )
      .pluck()
      .all(characterId) as EvalSystemId[];
  }

  /** `interviewId:dimension` of every judgment this judge model and prompt version already made. */
  judgedBy(characterId: CharacterId, model: string, promptVersion: string): Set<string> {
    const rows = this.db
      .prepare(
        `SELECT interview_id || ':' || dimension FROM judgments WHERE character_id = ? AND model = ? AND prompt_version = ?`,
      )
      .pluck()
      .all(characterId, model, promptVersion) as string[];
    return new Set(rows);
  }

  /** Stores a judgment; an identical key (same interview, dimension, model, version) is kept as it was. */
  insertJudgment(j: NewJudgment, now: number): void {
    this.db
      .prepare(
        `INSERT INTO judgments (id, character_id, interview_id, dimension, provider_id, provider, model, prompt_version,
           score, reasoning, failures, failure_count, call_ids, job_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (interview_id, dimension, model, prompt_version) DO NOTHING`,
      )
      .run(
        j.id,
        j.characterId,
        j.interviewId,
        j.dimension,
        j.providerId,
        j.provider,
        j.model,
        j.promptVersion,
        j.score,
        j.reasoning,
        JSON.stringify(j.failures),
        j.failures.length,
        JSON.stringify(j.callIds),
        j.jobId,
        now,
      );
  }

  judgments(filter: JudgmentFilter): Judgment[] {
    const rows = this.db
      .prepare(
        `${JUDGMENT_SELECT} WHERE j.character_id = @characterId
           AND (@interviewId IS NULL OR j.interview_id = @interviewId)
           AND (@systemId IS NULL OR i.system_id = @systemId)
           AND (@jobId IS NULL OR j.job_id = @jobId)
         ORDER BY j.created_at DESC, j.rowid DESC`,
      )
      .all({
        characterId: filter.characterId,
        interviewId: filter.interviewId ?? null,
        systemId: filter.systemId ?? null,
        jobId: filter.jobId ?? null,
      }) as JudgmentRow[];
    return rows.map(toJudgment);
  }

  /** The pair's row, made when its first order is planned; returns its id. */
  ensurePair(p: NewPair, now: number): string {
    this.db
      .prepare(
        `INSERT INTO pairwise_judgments (id, character_id, system_a, system_b, interview_a, interview_b, dimension,
           provider_id, provider, model, prompt_version, job_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (interview_a, interview_b, dimension, model, prompt_version) DO NOTHING`,
      )
      .run(
        p.id,
        p.characterId,
        p.systemA,
        p.systemB,
        p.interviewA,
        p.interviewB,
        p.dimension,
        p.providerId,
        p.provider,
        p.model,
        p.promptVersion,
        p.jobId,
        now,
      );
    return this.db
      .prepare(
        `SELECT id FROM pairwise_judgments WHERE interview_a = ? AND interview_b = ? AND dimension = ? AND model = ? AND prompt_version = ?`,
      )
      .pluck()
      .get(p.interviewA, p.interviewB, p.dimension, p.model, p.promptVersion) as string;
  }

  /** `interviewA:interviewB:dimension:order` of every order this judge model and prompt version already asked. */
  pairOrdersAsked(characterId: CharacterId, model: string, promptVersion: string): Set<string> {
    const rows = this.db
      .prepare(
        `SELECT interview_a || ':' || interview_b || ':' || dimension AS pair, ab_done, ba_done FROM pairwise_judgments
         WHERE character_id = ? AND model = ? AND prompt_version = ?`,
      )
      .all(characterId, model, promptVersion) as { pair: string; ab_done: number; ba_done: number }[];
    const asked = new Set<string>();
    for (const r of rows) {
      if (r.ab_done) asked.add(`${r.pair}:ab`);
      if (r.ba_done) asked.add(`${r.pair}:ba`);
    }
    return asked;
  }

  /** Stores what one order said (`side` null: unscored after `failures`). */
  setOrder(pairId: string, order: PairOrder, ask: PairAsk): void {
    this.db
      .prepare(
        `UPDATE pairwise_judgments SET ${order}_side = ?, ${order}_reasoning = ?, ${order}_failures = ?,
           ${order}_call_ids = ?, ${order}_done = 1 WHERE id = ?`,
      )
      .run(ask.side, ask.reasoning, JSON.stringify(ask.failures), JSON.stringify(ask.callIds), pairId);
  }

  pairs(filter: PairwiseFilter): PairwiseJudgment[] {
    const rows = this.db
      .prepare(
        `${PAIR_SELECT} WHERE p.character_id = @characterId
           AND (@systemA IS NULL OR p.system_a = @systemA)
           AND (@systemB IS NULL OR p.system_b = @systemB)
           AND (@jobId IS NULL OR p.job_id = @jobId)
         ORDER BY p.created_at, p.rowid`,
      )
      .all({
        characterId: filter.characterId,
        systemA: filter.systemA ?? null,
        systemB: filter.systemB ?? null,
        jobId: filter.jobId ?? null,
      }) as PairRow[];
    return rows.map(toPair);
  }
}
