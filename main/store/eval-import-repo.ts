import type { CharacterId } from '../../common/contract';
import type { Db } from './database';

/** A question of the character's live sets (their current versions), to hang imported answers on. */
export interface KnownQuestion {
  id: string;
  setId: string;
  version: number;
  topicId: string;
  topic: string;
  text: string;
  mode: 'single' | 'multi';
}

export interface NewQuestionSet {
  id: string;
  characterId: CharacterId;
  name: string;
  source: string;
  note: string;
  questions: {
    id: string;
    key: string;
    position: number;
    topicId: string;
    topic: string;
    text: string;
    mode: 'single' | 'multi';
  }[];
}

export interface NewTurn {
  id: string;
  round: number;
  seq: number;
  role: 'interviewer' | 'character';
  speaker: string;
  action: 'speaking' | 'thinking';
  rawAction: string | null;
  text: string;
  nonstop: boolean;
  source: string;
}

export interface NewInterview {
  id: string;
  characterId: CharacterId;
  systemId: string;
  questionId: string;
  setId: string;
  setVersion: number;
  topicId: string;
  question: string;
  mode: 'single' | 'multi';
  rounds: number;
  turns: NewTurn[];
}

export interface OutputsWrite {
  sets: NewQuestionSet[];
  systems: { id: string; characterId: CharacterId; label: string; source: string }[];
  interviews: NewInterview[];
}

/**
 * Writes an import of released interview outputs into the eval tables (migration 017): `imported`
 * systems with `done` interviews and their turns, and a question set for the questions no set of
 * the character holds yet. One transaction: all or nothing.
 */
export class EvalImportRepo {
  constructor(private readonly db: Db) {}

  knownQuestions(characterId: CharacterId): KnownQuestion[] {
    return this.db
      .prepare(
        `SELECT q.id, q.set_id AS setId, q.version, q.topic_id AS topicId, q.topic, q.text, q.mode
         FROM questions q JOIN question_sets s ON s.id = q.set_id AND q.version = s.current_version
         WHERE s.character_id = ? AND s.archived_at IS NULL
         ORDER BY s.created_at, q.position`,
      )
      .all(characterId) as KnownQuestion[];
  }

  /** A live system of that label, with its interview count. */
  systemByLabel(characterId: CharacterId, label: string): { id: string; kind: string; interviews: number } | null {
    const row = this.db
      .prepare(
        `SELECT s.id, s.kind, (SELECT COUNT(*) FROM interviews i WHERE i.system_id = s.id) AS interviews
         FROM eval_systems s WHERE s.character_id = ? AND s.label = ?`,
      )
      .get(characterId, label) as { id: string; kind: string; interviews: number } | undefined;
    return row ?? null;
  }

  write(plan: OutputsWrite, now: number): void {
    const set = this.db.prepare(
      `INSERT INTO question_sets (id, character_id, name, origin, source, current_version, created_at, updated_at)
       VALUES (?, ?, ?, 'imported', ?, 1, ?, ?)`,
    );
    const version = this.db.prepare(
      `INSERT INTO question_set_versions (set_id, version, note, created_at) VALUES (?, 1, ?, ?)`,
    );
    const question = this.db.prepare(
      `INSERT INTO questions (id, set_id, version, key, position, topic_id, topic, text, mode)
       VALUES (@id, @setId, 1, @key, @position, @topicId, @topic, @text, @mode)`,
    );
    const system = this.db.prepare(
      `INSERT INTO eval_systems (id, character_id, kind, label, source, created_at) VALUES (?, ?, 'imported', ?, ?, ?)`,
    );
    const interview = this.db.prepare(
      `INSERT INTO interviews (id, character_id, job_id, system_id, question_id, set_id, set_version, topic_id,
         question, mode, rounds, status, created_at, updated_at)
       VALUES (@id, @characterId, NULL, @systemId, @questionId, @setId, @setVersion, @topicId, @question, @mode,
         @rounds, 'done', @now, @now)`,
    );
    const turn = this.db.prepare(
      `INSERT INTO interview_turns (id, interview_id, round, seq, role, speaker, action, raw_action, text, nonstop,
         source, created_at)
       VALUES (@id, @interviewId, @round, @seq, @role, @speaker, @action, @rawAction, @text, @nonstop, @source, @now)`,
    );
    this.db.transaction(() => {
      for (const s of plan.sets) {
        set.run(s.id, s.characterId, s.name, s.source, now, now);
        version.run(s.id, s.note, now);
        for (const q of s.questions) question.run({ ...q, setId: s.id });
      }
      for (const s of plan.systems) system.run(s.id, s.characterId, s.label, s.source, now);
      for (const i of plan.interviews) {
        interview.run({ ...i, now });
        for (const t of i.turns) turn.run({ ...t, interviewId: i.id, nonstop: t.nonstop ? 1 : 0, now });
      }
    })();
  }
}
