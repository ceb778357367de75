import type {
  CallId,
  CharacterId,
  EvalSystem,
  EvalSystemId,
  Interview,
  InterviewFilter,
  InterviewId,
  InterviewStatus,
  InterviewTurn,
  JobId,
  Question,
  QuestionId,
  QuestionMode,
  QuestionSet,
  QuestionSetId,
  QuestionSetOrigin,
  QuestionSetVersion,
  TopicId,
} from '../../common/contract';
import type { Db } from './database';
import { idsStartingWith } from './id-match';
import {
  toInterview,
  toQuestion,
  toSystem,
  toTurn,
  type InterviewRow,
  type QuestionRow,
  type SetRow,
  type SystemRow,
  type TurnRow,
} from './eval-rows';

/**
 * SQL of evaluation (migration 017): question sets and their versions, evaluation systems,
 * interviews and their turns. Rules (what a save may change, what a job writes when) live in the
 * services of `main/core/eval/`; every write that must be whole runs in one transaction there.
 */

/** An `imported` system's row: answers read from a file, no runtime, no sampling, no prompt. */
export function importedSystem(
  id: EvalSystemId,
  characterId: CharacterId,
  label: string,
  source: string,
): NewEvalSystem {
  return { id, characterId, kind: 'imported', label, answerer: null, sampling: null, promptVersion: null, source };
}

/** A question as a new version stores it (the set, version and position come from the save). */
export interface NewQuestion {
  id: string;
  key: string;
  topicId: TopicId;
  topic: string;
  text: string;
  mode: QuestionMode;
}

export interface NewQuestionSet {
  id: QuestionSetId;
  characterId: CharacterId;
  name: string;
  origin: QuestionSetOrigin;
  source: string | null;
  callIds: string[];
}

/** A system as first stored: it has no interviews yet, and the clock gives its time. */
export type NewEvalSystem = Omit<EvalSystem, 'interviews' | 'createdAt'>;

export interface NewInterview {
  id: InterviewId;
  characterId: CharacterId;
  jobId: JobId | null;
  systemId: EvalSystemId;
  question: Question;
  mode: QuestionMode;
  rounds: number;
  status?: InterviewStatus;
}

export type NewTurn = Omit<InterviewTurn, 'createdAt' | 'seq'> & { seq?: number };

/** An interview with its figures: rounds with a character turn, and whether any turn was cut. */
const INTERVIEW_SELECT = `SELECT i.*,
  (SELECT count(DISTINCT round) FROM interview_turns t WHERE t.interview_id = i.id AND t.role = 'character') AS rounds_done,
  EXISTS (SELECT 1 FROM interview_turns t WHERE t.interview_id = i.id AND t.nonstop = 1) AS nonstop
  FROM interviews i`;

export class EvalRepo {
  constructor(private readonly db: Db) {}

  // ---- question sets ----

  /** A new set at version 1 with `questions` (in order). Call inside a transaction with its checks. */
  insertSet(set: NewQuestionSet, note: string, questions: readonly NewQuestion[], now: number): void {
    this.db
      .prepare(
        `INSERT INTO question_sets (id, character_id, name, origin, source, call_ids, current_version, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
      )
      .run(set.id, set.characterId, set.name, set.origin, set.source, JSON.stringify(set.callIds), now, now);
    this.insertVersion(set.id, 1, note, questions, now);
  }

  /** Adds version `version` with `questions` and makes it current. */
  insertVersion(
    setId: QuestionSetId,
    version: number,
    note: string,
    questions: readonly NewQuestion[],
    now: number,
  ): void {
    this.db
      .prepare('INSERT INTO question_set_versions (set_id, version, note, created_at) VALUES (?, ?, ?, ?)')
      .run(setId, version, note, now);
    const insert = this.db.prepare(
      `INSERT INTO questions (id, set_id, version, key, position, topic_id, topic, text, mode)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    questions.forEach((q, position) =>
      insert.run(q.id, setId, version, q.key, position, q.topicId, q.topic, q.text, q.mode),
    );
    this.db
      .prepare('UPDATE question_sets SET current_version = ?, updated_at = ? WHERE id = ?')
      .run(version, now, setId);
  }

  rename(setId: QuestionSetId, name: string, now: number): void {
    this.db.prepare('UPDATE question_sets SET name = ?, updated_at = ? WHERE id = ?').run(name, now, setId);
  }

  archiveSet(setId: QuestionSetId, now: number): void {
    this.db.prepare('UPDATE question_sets SET archived_at = ?, updated_at = ? WHERE id = ?').run(now, now, setId);
  }

  /** The character's sets not archived, newest first. */
  sets(characterId: CharacterId): QuestionSet[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM question_sets WHERE character_id = ? AND archived_at IS NULL ORDER BY created_at DESC, rowid DESC',
      )
      .all(characterId) as SetRow[];
    return rows.map((row) => this.toSet(row));
  }

  /** A set (archived ones too), or undefined. */
  set(id: QuestionSetId): QuestionSet | undefined {
    const row = this.db.prepare('SELECT * FROM question_sets WHERE id = ?').get(id) as SetRow | undefined;
    return row ? this.toSet(row) : undefined;
  }

  setNameTaken(characterId: CharacterId, name: string, except?: QuestionSetId): boolean {
    return (
      this.db
        .prepare(
          'SELECT 1 FROM question_sets WHERE character_id = ? AND name = ? AND archived_at IS NULL AND id IS NOT ?',
        )
        .get(characterId, name, except ?? null) !== undefined
    );
  }

  questions(setId: QuestionSetId, version: number): Question[] {
    const rows = this.db
      .prepare('SELECT * FROM questions WHERE set_id = ? AND version = ? ORDER BY position')
      .all(setId, version) as QuestionRow[];
    return rows.map(toQuestion);
  }

  question(id: QuestionId): Question | undefined {
    const row = this.db.prepare('SELECT * FROM questions WHERE id = ?').get(id) as QuestionRow | undefined;
    return row ? toQuestion(row) : undefined;
  }

  private toSet(row: SetRow): QuestionSet {
    const versions = (
      this.db
        .prepare(
          `SELECT v.version, v.note, v.created_at, (SELECT count(*) FROM questions q WHERE q.set_id = v.set_id AND q.version = v.version) AS questions
           FROM question_set_versions v WHERE v.set_id = ? ORDER BY v.version`,
        )
        .all(row.id) as { version: number; note: string; created_at: number; questions: number }[]
    ).map((v): QuestionSetVersion => ({
      version: v.version,
      note: v.note,
      questions: v.questions,
      createdAt: v.created_at,
    }));
    const counts = this.db
      .prepare(
        'SELECT topic_id, mode, count(*) AS n FROM questions WHERE set_id = ? AND version = ? GROUP BY topic_id, mode',
      )
      .all(row.id, row.current_version) as { topic_id: string; mode: QuestionMode; n: number }[];
    const byTopic: Record<TopicId, number> = {};
    let single = 0;
    let multi = 0;
    for (const c of counts) {
      byTopic[c.topic_id] = (byTopic[c.topic_id] ?? 0) + c.n;
      if (c.mode === 'single') single += c.n;
      else multi += c.n;
    }
    return {
      id: row.id as QuestionSetId,
      characterId: row.character_id as CharacterId,
      name: row.name,
      origin: row.origin,
      source: row.source,
      callIds: JSON.parse(row.call_ids) as CallId[],
      currentVersion: row.current_version,
      versions,
      counts: { single, multi, byTopic },
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  // ---- systems ----

  insertSystem(system: NewEvalSystem, now: number): void {
    this.db
      .prepare(
        `INSERT INTO eval_systems (id, character_id, kind, label, answerer, sampling, prompt_version, source, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        system.id,
        system.characterId,
        system.kind,
        system.label,
        system.answerer ? JSON.stringify(system.answerer) : null,
        system.sampling ? JSON.stringify(system.sampling) : null,
        system.promptVersion,
        system.source,
        now,
      );
  }

  /** The character's systems not archived, oldest first (the order a report lists them in). */
  systems(characterId: CharacterId): EvalSystem[] {
    const rows = this.db
      .prepare(
        `SELECT s.*, (SELECT count(*) FROM interviews i WHERE i.system_id = s.id) AS interviews
         FROM eval_systems s WHERE s.character_id = ? AND s.archived_at IS NULL ORDER BY s.created_at, s.rowid`,
      )
      .all(characterId) as SystemRow[];
    return rows.map(toSystem);
  }

  system(id: EvalSystemId): EvalSystem | undefined {
    const row = this.db
      .prepare(
        `SELECT s.*, (SELECT count(*) FROM interviews i WHERE i.system_id = s.id) AS interviews
         FROM eval_systems s WHERE s.id = ?`,
      )
      .get(id) as SystemRow | undefined;
    return row ? toSystem(row) : undefined;
  }

  /** The system named `label` among the character's (archived ones too: labels stay unique). */
  systemByLabel(characterId: CharacterId, label: string): EvalSystem | undefined {
    const row = this.db
      .prepare('SELECT id FROM eval_systems WHERE character_id = ? AND label = ?')
      .get(characterId, label) as { id: string } | undefined;
    return row ? this.system(row.id as EvalSystemId) : undefined;
  }

  archiveSystem(id: EvalSystemId, now: number): void {
    this.db.prepare('UPDATE eval_systems SET archived_at = ? WHERE id = ?').run(now, id);
  }

  // ---- interviews ----

  insertInterview(interview: NewInterview, now: number): void {
    const q = interview.question;
    this.db
      .prepare(
        `INSERT INTO interviews (id, character_id, job_id, system_id, question_id, set_id, set_version, topic_id, question, mode, rounds, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        interview.id,
        interview.characterId,
        interview.jobId,
        interview.systemId,
        q.id,
        q.setId,
        q.version,
        q.topicId,
        q.text,
        interview.mode,
        interview.rounds,
        interview.status ?? 'pending',
        now,
        now,
      );
  }

  interview(id: InterviewId): Interview | undefined {
    const row = this.db.prepare(`${INTERVIEW_SELECT} WHERE i.id = ?`).get(id) as InterviewRow | undefined;
    return row ? toInterview(row) : undefined;
  }

  /** Interviews whose id is `key` or starts with it (idsStartingWith). */
  matchInterviews(key: string): { id: InterviewId; characterId: CharacterId }[] {
    return idsStartingWith(this.db, 'interviews', key);
  }

  interviews(filter: InterviewFilter): Interview[] {
    const where = ['i.character_id = @characterId'];
    if (filter.jobId !== undefined) where.push('i.job_id = @jobId');
    if (filter.systemId !== undefined) where.push('i.system_id = @systemId');
    if (filter.setId !== undefined) where.push('i.set_id = @setId');
    if (filter.mode !== undefined) where.push('i.mode = @mode');
    const rows = this.db
      .prepare(`${INTERVIEW_SELECT} WHERE ${where.join(' AND ')} ORDER BY i.created_at, i.rowid`)
      .all({ jobId: null, systemId: null, setId: null, mode: null, ...filter }) as InterviewRow[];
    return rows.map(toInterview);
  }

  setInterviewStatus(id: InterviewId, status: InterviewStatus, error: string | null, now: number): void {
    this.db
      .prepare('UPDATE interviews SET status = ?, error = ?, updated_at = ? WHERE id = ?')
      .run(status, error, now, id);
  }

  /** Status counts of a job's interviews. */
  jobCounts(jobId: JobId): Record<InterviewStatus, number> {
    const rows = this.db
      .prepare('SELECT status, count(*) AS n FROM interviews WHERE job_id = ? GROUP BY status')
      .all(jobId) as { status: InterviewStatus; n: number }[];
    const counts: Record<InterviewStatus, number> = { pending: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  // ---- turns ----

  /** Appends turns after the interview's last one (seq given by the caller is kept: imports). */
  insertTurns(turns: readonly NewTurn[], now: number): void {
    const next = this.db.prepare('SELECT coalesce(max(seq), -1) + 1 AS n FROM interview_turns WHERE interview_id = ?');
    const insert = this.db.prepare(
      `INSERT INTO interview_turns (id, interview_id, round, seq, role, speaker, action, raw_action, text, nonstop, source, call_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const t of turns) {
      const seq = t.seq ?? (next.get(t.interviewId) as { n: number }).n;
      insert.run(
        t.id,
        t.interviewId,
        t.round,
        seq,
        t.role,
        t.speaker,
        t.action,
        t.rawAction,
        t.text,
        t.nonstop ? 1 : 0,
        t.source,
        t.callId,
        now,
      );
    }
  }

  turns(interviewId: InterviewId): InterviewTurn[] {
    const rows = this.db
      .prepare('SELECT * FROM interview_turns WHERE interview_id = ? ORDER BY seq')
      .all(interviewId) as TurnRow[];
    return rows.map(toTurn);
  }

  /** Drops the turns of rounds from `round` on (a round cut half way is asked again whole). */
  deleteTurnsFrom(interviewId: InterviewId, round: number): void {
    this.db.prepare('DELETE FROM interview_turns WHERE interview_id = ? AND round >= ?').run(interviewId, round);
  }
}
