import type {
  CallId,
  CharacterId,
  FormatProblem,
  ImportProvenance,
  JobId,
  RevisionAuthor,
  SceneDoc,
  SceneId,
  SceneOrigin,
  SceneProposal,
  SceneRevision,
} from '../../common/contract';
import type { Db } from './database';
import { writeExperience } from './scene-figures';

/** Who made a change and with what, as a revision records it. */
export interface RevisionSource {
  author: RevisionAuthor;
  callId: string | null;
  promptVersion: string | null;
  restoredFrom?: number | null;
  /** A regeneration's instruction, in the writer's words. */
  instruction?: string | null;
}

/** A regeneration kept aside, as stored (see migration 013). */
export interface NewProposal {
  id: string;
  sceneId: SceneId;
  baseRevision: number;
  doc: SceneDoc;
  jobId: JobId | null;
  callId: string | null;
  promptVersion: string;
  instruction: string;
  turn: number | null;
}

interface ProposalRow {
  id: string;
  scene_id: string;
  base_revision: number;
  job_id: string | null;
  call_id: string | null;
  prompt_version: string;
  instruction: string;
  turn: number | null;
  adopted_as: number | null;
  created_at: number;
}

/** What a save needs to know of the scene as it stood, to record it first when it has no revisions yet. */
export interface CommitBase {
  /** The scene's state as last read: recorded as its revision `baseRevision` ('generated') if none is. */
  original: SceneDoc;
  originalSource: RevisionSource;
  /** When that state was made (the scene's creation): the recorded revision's time, as the History showed it. */
  originalAt: number;
  /** The experience's provenance and problems, kept on the rewritten experience row. */
  experience: { callId: string | null; promptVersion: string; problems: readonly FormatProblem[] } | null;
}

interface RevisionRow {
  imported_from: string | null;
  scene_id: string;
  revision: number;
  author: RevisionAuthor;
  call_id: string | null;
  prompt_version: string | null;
  restored_from: number | null;
  instruction: string | null;
  created_at: number;
}

/** What a scene written as a copy of another keeps of it (`createHandWritten`). */
export interface CopiedScene {
  from: SceneId;
  chunkId: string | null;
  protective: boolean;
  limit: string | null;
}

/** Scene revisions (migration 010) and the writes that edit a scene in place of a job. */
export class SceneRevisionsRepo {
  constructor(private readonly db: Db) {}

  /** Runs `work` in one transaction (nested ones become savepoints). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /** The scene's current revision number and origin; undefined when it does not exist. */
  state(id: SceneId): { revision: number; origin: SceneOrigin; characterId: CharacterId } | undefined {
    const row = this.db.prepare('SELECT revision, origin, character_id FROM scenes WHERE id = ?').get(id) as
      { revision: number; origin: SceneOrigin; character_id: CharacterId } | undefined;
    return row && { revision: row.revision, origin: row.origin, characterId: row.character_id };
  }

  revisions(id: SceneId): SceneRevision[] {
    return (
      this.db
        .prepare(
          `SELECT r.scene_id, r.revision, r.author, r.call_id, r.prompt_version, r.restored_from, r.instruction, r.created_at,
             CASE WHEN r.author = 'import' AND i.id IS NOT NULL THEN json_object(
               'file', CASE WHEN s.import_file IS NULL THEN i.file ELSE i.file || '/' || s.import_file END,
               'format', i.format, 'line', s.import_line, 'source', s.import_source, 'importedAt', i.created_at) END AS imported_from
           FROM scene_revisions r JOIN scenes s ON s.id = r.scene_id LEFT JOIN dataset_imports i ON i.id = s.import_id
           WHERE r.scene_id = ? ORDER BY r.revision`,
        )
        .all(id) as RevisionRow[]
    ).map((r) => ({
      sceneId: r.scene_id as SceneId,
      revision: r.revision,
      author: r.author,
      callId: r.call_id as CallId | null,
      promptVersion: r.prompt_version,
      restoredFrom: r.restored_from,
      instruction: r.instruction,
      createdAt: r.created_at,
      ...(r.imported_from !== null && { importedFrom: JSON.parse(r.imported_from) as ImportProvenance }),
    }));
  }

  insertProposal(proposal: NewProposal, now: number): void {
    this.db
      .prepare(
        `INSERT INTO scene_proposals (id, scene_id, base_revision, doc, job_id, call_id, prompt_version, instruction, turn, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        proposal.id,
        proposal.sceneId,
        proposal.baseRevision,
        JSON.stringify(proposal.doc),
        proposal.jobId,
        proposal.callId,
        proposal.promptVersion,
        proposal.instruction,
        proposal.turn,
        now,
      );
  }

  /** The scene's proposals, newest first. */
  proposals(sceneId: SceneId): SceneProposal[] {
    return (
      this.db
        .prepare(
          `SELECT id, scene_id, base_revision, job_id, call_id, prompt_version, instruction, turn, adopted_as, created_at
           FROM scene_proposals WHERE scene_id = ? ORDER BY created_at DESC, rowid DESC`,
        )
        .all(sceneId) as ProposalRow[]
    ).map(toProposal);
  }

  /** One proposal with its document; undefined when it does not exist. */
  proposal(id: string): (SceneProposal & { doc: SceneDoc }) | undefined {
    const row = this.db
      .prepare(
        `SELECT id, scene_id, base_revision, job_id, call_id, prompt_version, instruction, turn, adopted_as, created_at, doc
         FROM scene_proposals WHERE id = ?`,
      )
      .get(id) as (ProposalRow & { doc: string }) | undefined;
    return row && { ...toProposal(row), doc: JSON.parse(row.doc) as SceneDoc };
  }

  /** Rewrites of job `jobId` kept as proposals (their scene had moved). */
  countJobProposals(jobId: JobId): number {
    return this.db.prepare('SELECT count(*) FROM scene_proposals WHERE job_id = ?').pluck().get(jobId) as number;
  }

  markAdopted(id: string, revision: number): void {
    this.db.prepare('UPDATE scene_proposals SET adopted_as = ? WHERE id = ?').run(revision, id);
  }

  doc(id: SceneId, revision: number): SceneDoc | undefined {
    const json = this.db
      .prepare('SELECT doc FROM scene_revisions WHERE scene_id = ? AND revision = ?')
      .pluck()
      .get(id, revision) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as SceneDoc);
  }

  /**
   * Stores `doc` as revision `baseRevision + 1`, in one transaction: the scene's fields, its
   * experience with the stored figures (or none, for an empty transcript), the revision row.
   * Returns 'conflict' (nothing written) when the scene's revision is no longer `baseRevision`.
   */
  commit(
    id: SceneId,
    baseRevision: number,
    doc: SceneDoc,
    source: RevisionSource,
    base: CommitBase,
    now: number,
  ): number | 'conflict' | 'missing' {
    return this.db.transaction((): number | 'conflict' | 'missing' => {
      const state = this.state(id);
      if (!state) return 'missing';
      if (state.revision !== baseRevision) return 'conflict';
      const recorded = this.db
        .prepare('SELECT max(revision) FROM scene_revisions WHERE scene_id = ?')
        .pluck()
        .get(id) as number | null;
      if (recorded === null) this.insertRevision(id, baseRevision, base.original, base.originalSource, base.originalAt);
      else if (recorded < baseRevision) this.recordJobWrite(id, baseRevision, base);
      const revision = baseRevision + 1;
      this.db
        .prepare(
          `UPDATE scenes SET type = ?, location = ?, time = ?, background = ?, people = ?, revision = ? WHERE id = ?`,
        )
        .run(doc.type, doc.location, doc.time, doc.background, JSON.stringify(doc.people), revision, id);
      this.writeDocExperience(id, doc, base.experience, source, now);
      this.insertRevision(id, revision, doc, source, now);
      return revision;
    })();
  }

  /**
   * Records the scene as it stands, revision `revision`, when a job wrote its experience after its
   * last recorded revision (a scene saved without turns, then completed by a run): the edit about to
   * be stored on top of it must not leave that experience out of the history.
   */
  private recordJobWrite(id: SceneId, revision: number, base: CommitBase): void {
    const writtenAt = this.db.prepare('SELECT created_at FROM experiences WHERE scene_id = ?').pluck().get(id) as
      number | undefined;
    const source: RevisionSource = {
      author: 'generated',
      callId: base.experience?.callId ?? null,
      promptVersion: base.experience?.promptVersion ?? null,
    };
    this.insertRevision(id, revision, base.original, source, writtenAt ?? base.originalAt);
  }

  /**
   * A scene written by a person: no job, no LLM call; its first revision is the person's. `origin`
   * 'chat' is a chat correction (`chat/correct`), stored already accepted in review: the person
   * wrote the reply the character should have given.
   */
  createHandWritten(
    id: SceneId,
    characterId: CharacterId,
    doc: SceneDoc,
    now: number,
    origin: Exclude<SceneOrigin, 'generated'> = 'hand',
    copied?: CopiedScene,
  ): void {
    this.db.transaction(() => {
      const accepted = origin === 'chat';
      this.db
        .prepare(
          `INSERT INTO scenes (id, character_id, job_id, item_id, ordinal, chunk_id, protective, limit_text, type, location,
             time, background, people, call_id, prompt_version, created_at, revision, origin, review_status, reviewed_at)
           VALUES (?, ?, NULL, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', ?, 1, ?, ?, ?)`,
        )
        .run(
          id,
          characterId,
          `${origin}:${id}`,
          copied?.chunkId ?? null,
          copied?.protective ? 1 : 0,
          copied?.limit ?? null,
          doc.type,
          doc.location,
          doc.time,
          doc.background,
          JSON.stringify(doc.people),
          now,
          origin,
          accepted ? 'accepted' : 'unreviewed',
          accepted ? now : null,
        );
      if (copied)
        this.db
          .prepare(
            'INSERT INTO scene_tags (scene_id, character_id, tag) SELECT ?, character_id, tag FROM scene_tags WHERE scene_id = ?',
          )
          .run(id, copied.from);
      const source: RevisionSource = { author: 'user', callId: null, promptVersion: null };
      this.writeDocExperience(id, doc, null, source, now);
      this.insertRevision(id, 1, doc, source, now);
    })();
  }

  /**
   * The experience as the document has it. A person's rewrite keeps the experience's generating
   * call as provenance; its format problems describe the model's answer, so they stay only while
   * the turns are exactly the ones that answer gave (the revisions keep the original to compare).
   */
  private writeDocExperience(
    id: SceneId,
    doc: SceneDoc,
    before: CommitBase['experience'],
    source: RevisionSource,
    now: number,
  ): void {
    const empty = doc.turns.length === 0 && doc.experienceBackground === '';
    if (empty) {
      // The trigger of migration 009 resets the scene's figures.
      this.db.prepare('DELETE FROM experiences WHERE scene_id = ?').run(id);
      return;
    }
    const storedTurns = this.db.prepare('SELECT turns FROM experiences WHERE scene_id = ?').pluck().get(id) as
      string | undefined;
    const sameTurns = storedTurns === JSON.stringify(doc.turns);
    writeExperience(
      this.db,
      id,
      {
        background: doc.experienceBackground,
        turns: doc.turns,
        callId: source.author === 'llm' ? source.callId : (before?.callId ?? null),
        promptVersion: source.author === 'llm' ? (source.promptVersion ?? '') : (before?.promptVersion ?? 'hand'),
        problems: sameTurns && before ? before.problems : [],
      },
      now,
    );
  }

  private insertRevision(id: SceneId, revision: number, doc: SceneDoc, source: RevisionSource, now: number): void {
    this.db
      .prepare(
        `INSERT INTO scene_revisions (scene_id, revision, doc, author, call_id, prompt_version, restored_from, instruction, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        revision,
        JSON.stringify(doc),
        source.author,
        source.callId,
        source.promptVersion,
        source.restoredFrom ?? null,
        source.instruction ?? null,
        now,
      );
  }
}

function toProposal(r: ProposalRow): SceneProposal {
  return {
    id: r.id,
    sceneId: r.scene_id as SceneId,
    baseRevision: r.base_revision,
    jobId: r.job_id as JobId | null,
    callId: r.call_id as CallId | null,
    promptVersion: r.prompt_version,
    instruction: r.instruction,
    turn: r.turn,
    createdAt: r.created_at,
    adoptedAs: r.adopted_as,
  };
}
