import type { CharacterId, ReportMode } from '../../common/contract';
import type { Db } from './database';

export interface InterviewRow {
  id: string;
  systemId: string;
  mode: ReportMode;
  topicId: string;
  question: string;
  nonstop: boolean;
}

export interface JudgmentRow {
  interviewId: string;
  dimension: string;
  /** null: judged, but no usable score. */
  score: number | null;
  reasoning: string;
  judgeModel: string;
  /** The judge prompt's version: one judge is a model and a prompt version. */
  promptVersion: string;
  createdAt: number;
}

/** One pairwise comparison as stored: both orders' readings (null: unreadable or not asked yet). */
export interface PairRow {
  systemA: string;
  systemB: string;
  interviewA: string;
  interviewB: string;
  dimension: string;
  judgeModel: string;
  /** The pairwise prompt's version: one judge of pairs is a model and a prompt version. */
  promptVersion: string;
  abSide: 'a' | 'b' | 'tie' | null;
  baSide: 'a' | 'b' | 'tie' | null;
  /** Each order asked (read or not): a pair with an order not asked yet is still being judged. */
  abDone: boolean;
  baDone: boolean;
  createdAt: number;
}

export interface SystemRow {
  id: string;
  label: string;
  kind: string;
}

export interface TurnRow {
  interviewId: string;
  role: 'interviewer' | 'character';
  action: 'speaking' | 'thinking';
  text: string;
}

/**
 * What reports read from the eval tables (017) and the judge's (018). Only `done` interviews are
 * answers; pending, running and failed ones are not reported. Read-only.
 */
export class EvalReportRepo {
  constructor(private readonly db: Db) {}

  /** The character's live systems, oldest first. */
  systems(characterId: CharacterId): SystemRow[] {
    return this.db
      .prepare(
        `SELECT id, label, kind FROM eval_systems WHERE character_id = ? AND archived_at IS NULL ORDER BY created_at, rowid`,
      )
      .all(characterId) as SystemRow[];
  }

  interviews(characterId: CharacterId, systemIds: readonly string[]): InterviewRow[] {
    if (systemIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT i.id, i.system_id AS systemId, i.mode, i.topic_id AS topicId, i.question,
           EXISTS (SELECT 1 FROM interview_turns t WHERE t.interview_id = i.id AND t.nonstop = 1) AS nonstop
         FROM interviews i
         WHERE i.character_id = ? AND i.status = 'done' AND i.system_id IN (SELECT value FROM json_each(?))
         ORDER BY i.system_id, i.mode, i.created_at, i.rowid`,
      )
      .all(characterId, JSON.stringify(systemIds)) as (Omit<InterviewRow, 'nonstop'> & { nonstop: number })[];
    return rows.map((r) => ({ ...r, nonstop: r.nonstop === 1 }));
  }

  /** Every judgment of these systems' interviews (all judges; the report picks one per dimension). */
  judgments(characterId: CharacterId, systemIds: readonly string[]): JudgmentRow[] {
    if (systemIds.length === 0) return [];
    return this.db
      .prepare(
        `SELECT j.interview_id AS interviewId, j.dimension, j.score, COALESCE(j.reasoning, '') AS reasoning,
           j.model AS judgeModel, j.prompt_version AS promptVersion, j.created_at AS createdAt
         FROM judgments j JOIN interviews i ON i.id = j.interview_id
         WHERE i.character_id = ? AND i.system_id IN (SELECT value FROM json_each(?))
         ORDER BY j.created_at, j.rowid`,
      )
      .all(characterId, JSON.stringify(systemIds)) as JudgmentRow[];
  }

  /** Every pairwise comparison between two of these systems (all judges), oldest first. */
  pairs(characterId: CharacterId, systemIds: readonly string[]): PairRow[] {
    if (systemIds.length < 2) return [];
    const rows = this.db
      .prepare(
        `SELECT system_a AS systemA, system_b AS systemB, interview_a AS interviewA, interview_b AS interviewB,
           dimension, model AS judgeModel, prompt_version AS promptVersion, ab_side AS abSide, ba_side AS baSide, ab_done AS abDone,
           ba_done AS baDone, created_at AS createdAt
         FROM pairwise_judgments
         WHERE character_id = ? AND system_a IN (SELECT value FROM json_each(?))
           AND system_b IN (SELECT value FROM json_each(?))
         ORDER BY created_at, rowid`,
      )
      .all(characterId, JSON.stringify(systemIds), JSON.stringify(systemIds)) as (Omit<PairRow, 'abDone' | 'baDone'> & {
      abDone: number;
      baDone: number;
    })[];
    return rows.map((r) => ({ ...r, abDone: r.abDone === 1, baDone: r.baDone === 1 }));
  }

  turns(interviewIds: readonly string[]): TurnRow[] {
    if (interviewIds.length === 0) return [];
    return this.db
      .prepare(
        `SELECT interview_id AS interviewId, role, action, text FROM interview_turns
         WHERE interview_id IN (SELECT value FROM json_each(?)) ORDER BY interview_id, seq`,
      )
      .all(JSON.stringify(interviewIds)) as TurnRow[];
  }

  /** Topics of the character's questions and interviews, for the filter. */
  topics(characterId: CharacterId): { id: string; label: string }[] {
    return this.db
      .prepare(
        `SELECT topic_id AS id, MIN(topic) AS label FROM (
           SELECT q.topic_id, q.topic FROM questions q JOIN question_sets s ON s.id = q.set_id WHERE s.character_id = ?
           UNION ALL SELECT topic_id, NULL FROM interviews WHERE character_id = ?)
         GROUP BY topic_id ORDER BY topic_id`,
      )
      .all(characterId, characterId)
      .map((r) => {
        const row = r as { id: string; label: string | null };
        return { id: row.id, label: row.label ?? row.id };
      });
  }
}
