import type {
  CallId,
  CharacterId,
  ChunkId,
  DatasetStats,
  Experience,
  FormatProblem,
  FormatProblemCode,
  JobId,
  KnowledgeLimit,
  LimitId,
  ReviewStatus,
  Scene,
  SceneBase,
  SceneId,
  SceneSummary,
  Turn,
} from '../../common/contract';
import type { Db } from './database';
import { SceneSignaturesRepo } from './scene-signatures-repo';
import { statsSum, sumNow, trainingSum, type TrainingFigures } from './dataset-sums';
import { writeExperience } from './scene-figures';
import { idsStartingWith } from './id-match';

/**
 * Scenes in one page of `trainableScenePages`: reading and rendering a page of experiences of ~600
 * tokens takes ~3 ms of CPU (median; 10–15 ms with a collection), so a page never holds the event
 * loop near 50 ms even on a loaded machine. 256 took 11 ms (40 ms with a collection), four times the stall,
 * for a 5% saving overall: the page query is an index seek, so small pages cost little.
 */
export const TRAINABLE_PAGE_SCENES = 64;

/** What an experience prompt shows of its scene (`DatasetRepo.promptScene`). */
export type PromptScene = Pick<Scene, 'origin' | 'chunkId' | 'type' | 'location' | 'time' | 'background' | 'people'> & {
  /** Whether the scene still lacks its experience and was not rejected (an experience item's work). */
  needsExperience: boolean;
};

interface SceneRow extends BaseRow {
  job_id: string | null;
  origin: Scene['origin'];
  item_id: string;
  ordinal: number;
  background: string;
  call_id: string | null;
  prompt_version: string;
  e_background: string | null;
  e_turns: string | null;
  e_call_id: string | null;
  e_prompt_version: string | null;
  e_problems: string | null;
}

/** A scene as its writer stores it: what the contract's scene says of it, and where it came from. */
export interface NewScene extends Pick<
  SceneBase,
  'id' | 'characterId' | 'chunkId' | 'protective' | 'limit' | 'type' | 'location' | 'time' | 'people'
> {
  jobId: JobId;
  itemId: string;
  ordinal: number;
  background: string;
  callId: string | null;
  promptVersion: string;
  /** Its near-duplicate signature (see SceneSignaturesRepo), when the writer computed it. */
  dedupeSignature?: Uint8Array | null;
}

/** The scene's tags as a JSON array, sorted (one primary-key range of scene_tags); `scene` names its id column. */
export const tagsColumn = (scene: string) =>
  `(SELECT json_group_array(tag) FROM (SELECT tag FROM scene_tags WHERE scene_id = ${scene} ORDER BY tag)) AS tags`;

const SELECT_SCENE = `
  SELECT s.*, ${tagsColumn('s.id')}, e.background AS e_background, e.turns AS e_turns, e.call_id AS e_call_id, e.prompt_version AS e_prompt_version,
    e.problems AS e_problems
  FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id`;

/** The generated dataset (scenes, experiences) and what a character cannot know (custom prompts: `PromptsRepo`). */
export class DatasetRepo {
  readonly signatures: SceneSignaturesRepo;

  constructor(private readonly db: Db) {
    this.signatures = new SceneSignaturesRepo(db);
  }

  insertScene(scene: NewScene, now: number): void {
    this.db
      .prepare(
        `INSERT INTO scenes (id, character_id, job_id, item_id, ordinal, chunk_id, protective, limit_text, type, location, time,
           background, people, call_id, prompt_version, created_at, dedupe_signature, model)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
           (SELECT model FROM llm_calls WHERE id = ? ORDER BY attempt DESC LIMIT 1))`,
      )
      // By position: better-sqlite3 looks each named parameter up on the object, from C++.
      .run(
        scene.id,
        scene.characterId,
        scene.jobId,
        scene.itemId,
        scene.ordinal,
        scene.chunkId,
        scene.protective ? 1 : 0,
        scene.limit,
        scene.type,
        scene.location,
        scene.time,
        scene.background,
        JSON.stringify(scene.people),
        scene.callId,
        scene.promptVersion,
        now,
        scene.dedupeSignature ?? null,
        scene.callId,
      );
  }

  /**
   * Writes the experience and stores its figures on the scene (scene-figures.ts), in one
   * transaction: its own, or the caller's when one is open (which must then undo it whole if it
   * throws, as a write of a `WriteBatch` is undone). It moves the scene's revision on, so an editor
   * holding the scene from before gets a conflict instead of overwriting it.
   */
  insertExperience(
    sceneId: SceneId,
    experience: Omit<Experience, 'callId'> & { callId: string | null },
    now: number,
  ): void {
    // Within a transaction already (a job's write), the caller's savepoint undoes it whole on a throw:
    // one of its own would copy every page it touches into one more journal.
    if (this.db.inTransaction) writeExperience(this.db, sceneId, experience, now, 1);
    else this.db.transaction(() => writeExperience(this.db, sceneId, experience, now, 1))();
  }

  /** Scenes whose id is `key` or starts with it (id-match.ts). */
  matchIds(key: string): { id: SceneId; characterId: CharacterId }[] {
    return idsStartingWith(this.db, 'scenes', key);
  }

  /**
   * The columns an experience prompt shows of a scene, and whether it still needs its experience:
   * one narrow read per item (the whole scene, with its tags and experience, is ten times the work).
   */
  promptScene(id: SceneId): PromptScene | undefined {
    const row = this.db
      .prepare(
        `SELECT origin, chunk_id, type, location, time, background, people,
           has_experience = 0 AND review_status != 'rejected' AS needed
         FROM scenes WHERE id = ?`,
      )
      .get(id) as
      | (Pick<SceneRow, 'origin' | 'chunk_id' | 'type' | 'location' | 'time' | 'background' | 'people'> & {
          needed: number;
        })
      | undefined;
    return (
      row && {
        origin: row.origin,
        chunkId: row.chunk_id as ChunkId | null,
        type: row.type,
        location: row.location,
        time: row.time,
        background: row.background,
        people: JSON.parse(row.people) as string[],
        needsExperience: row.needed === 1,
      }
    );
  }

  scene(id: SceneId): Scene | undefined {
    const row = this.db.prepare(`${SELECT_SCENE} WHERE s.id = ?`).get(id) as SceneRow | undefined;
    return row && toScene(row);
  }

  /**
   * Every scene of the character that has its experience and was not rejected in review, whole, in creation order (what a training
   * run exports), `pageSize` at a time: each page is one short query, read when the iterator asks
   * for it, so the caller can give the event loop a turn between pages. Scenes written after the
   * first page is asked for are left out (the export is of the dataset as it was at that moment).
   * The default page (`TRAINABLE_PAGE_SCENES`) is what a request may hold the loop for.
   */
  *trainableScenePages(
    characterId: CharacterId,
    pageSize = TRAINABLE_PAGE_SCENES,
  ): Generator<Scene[], void, undefined> {
    const newest = this.db.prepare('SELECT coalesce(max(rowid), 0) FROM scenes').pluck().get() as number;
    const page = this.db.prepare(
      `${SELECT_SCENE.replace('SELECT', 'SELECT s.rowid AS row_id,')}
       WHERE s.character_id = ? AND s.has_experience = 1 AND s.review_status != 'rejected' AND s.rowid <= ?
         AND s.created_at >= ? AND (s.created_at > ? OR s.rowid > ?)
       ORDER BY s.created_at, s.rowid LIMIT ?`,
    );
    let after = { createdAt: Number.MIN_SAFE_INTEGER, rowid: 0 };
    for (;;) {
      // `created_at >= ?` on its own is what lets the index seek to the page's start: with only the
      // OR, SQLite walks every earlier scene again on each page (quadratic in the dataset's size).
      const rows = page.all(
        characterId,
        newest,
        after.createdAt,
        after.createdAt,
        after.rowid,
        pageSize,
      ) as (SceneRow & {
        row_id: number;
      })[];
      if (rows.length === 0) return;
      const last = rows[rows.length - 1]!;
      after = { createdAt: last.created_at, rowid: last.row_id };
      yield rows.map(toScene);
    }
  }

  /** What the training estimate needs (see `trainingSum`), read at once. */
  trainingFigures(characterId: CharacterId): TrainingFigures {
    return sumNow(this.db, trainingSum(characterId));
  }

  /** The character's scenes (normal or protective) still waiting for their experience; rejected ones never get one. */
  countScenesWithoutExperience(characterId: CharacterId, protective: boolean): number {
    return this.db
      .prepare(
        `SELECT count(*) FROM scenes WHERE character_id = ? AND protective = ? AND has_experience = 0
           AND review_status != 'rejected'`,
      )
      .pluck()
      .get(characterId, protective ? 1 : 0) as number;
  }

  /**
   * The character's normal scenes from every job that still lack their experience and were not
   * rejected (rejected scenes never reach training), in creation order: a target counts the
   * character's whole dataset, so a re-run completes the experiences earlier runs left missing.
   * It costs the scenes it returns, not the dataset's size: the `+` keeps the planner from walking
   * every scene in creation order to skip a sort of the few it returns.
   */
  scenesLackingExperience(characterId: CharacterId): SceneId[] {
    return this.db
      .prepare(
        `SELECT id FROM scenes WHERE character_id = ? AND protective = 0 AND has_experience = 0
           AND review_status != 'rejected' ORDER BY +created_at, +rowid`,
      )
      .pluck()
      .all(characterId) as SceneId[];
  }

  /**
   * The character's scenes, all jobs together; `exceptJob` leaves out those one job made. The total
   * is kept by triggers (migration 027: a job asks after each item, and counting the index took
   * ~8 ms at 100,000 scenes); one job's own scenes are counted through `scenes_job`.
   */
  countCharacterScenes(characterId: CharacterId, protective: boolean, exceptJob?: JobId): number {
    const p = protective ? 1 : 0;
    const all =
      (this.db
        .prepare('SELECT n FROM character_scene_counts WHERE character_id = ? AND protective = ?')
        .pluck()
        .get(characterId, p) as number | undefined) ?? 0;
    if (exceptJob === undefined) return all;
    const own = this.db
      .prepare('SELECT count(*) FROM scenes WHERE job_id = ? AND protective = ? AND character_id = ?')
      .pluck()
      .get(exceptJob, p, characterId) as number;
    return all - own;
  }

  /** The Dataset tab's totals (see `statsSum`), read at once. */
  stats(characterId: CharacterId): DatasetStats {
    return sumNow(this.db, statsSum(characterId));
  }

  limits(characterId: CharacterId): KnowledgeLimit[] {
    return (
      this.db
        .prepare('SELECT id, text, source FROM knowledge_limits WHERE character_id = ? ORDER BY position')
        .all(characterId) as { id: LimitId; text: string; source: 'generated' | 'user' }[]
    ).map((r) => ({ id: r.id, text: r.text, source: r.source }));
  }

  replaceLimits(
    characterId: CharacterId,
    limits: readonly { id: string; text: string; source: 'generated' | 'user'; callId?: string | null }[],
    now: number,
  ): void {
    this.db.prepare('DELETE FROM knowledge_limits WHERE character_id = ?').run(characterId);
    const insert = this.db.prepare(
      'INSERT INTO knowledge_limits (id, character_id, position, text, source, call_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    limits.forEach((l, i) => insert.run(l.id, characterId, i, l.text, l.source, l.callId ?? null, now));
  }
}

/** The columns both a scene and its summary are read from. */
interface BaseRow {
  id: string;
  character_id: string;
  chunk_id: string | null;
  protective: number;
  limit_text: string | null;
  type: string;
  location: string;
  time: string;
  people: string;
  created_at: number;
  review_status: ReviewStatus;
  rating: number | null;
  reviewed_at: number | null;
  /** JSON array of tag names. */
  tags: string;
}

export interface SummaryRow extends BaseRow {
  has_experience: number;
  turn_count: number;
  word_count: number;
  problem_count: number;
}

function toBase(row: BaseRow): SceneBase {
  return {
    id: row.id as SceneId,
    characterId: row.character_id as CharacterId,
    chunkId: row.chunk_id as ChunkId | null,
    protective: row.protective === 1,
    limit: row.limit_text,
    type: row.type,
    location: row.location,
    time: row.time,
    people: JSON.parse(row.people) as string[],
    createdAt: row.created_at,
    review: {
      status: row.review_status,
      rating: row.rating,
      tags: JSON.parse(row.tags) as string[],
      reviewedAt: row.reviewed_at,
    },
  };
}

export function toSummary(row: SummaryRow, problems: Partial<Record<FormatProblemCode, number>>): SceneSummary {
  return {
    ...toBase(row),
    hasExperience: row.has_experience === 1,
    turns: row.turn_count,
    words: row.word_count,
    problems,
  };
}

function toScene(row: SceneRow): Scene {
  return {
    ...toBase(row),
    origin: row.origin,
    background: row.background,
    callId: row.call_id as CallId | null,
    promptVersion: row.prompt_version,
    experience:
      row.e_turns === null
        ? null
        : {
            background: row.e_background ?? '',
            turns: JSON.parse(row.e_turns) as Turn[],
            callId: row.e_call_id as CallId | null,
            promptVersion: row.e_prompt_version ?? '',
            problems: JSON.parse(row.e_problems ?? '[]') as FormatProblem[],
          },
  };
}
