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
  SceneFilter,
  SceneSummary,
  Stage,
  Turn,
} from '../../common/contract';
import type { Db } from './database';
import { writeExperience } from './scene-figures';
import { sceneWhere } from './scene-filter';

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

export interface NewScene {
  id: SceneId;
  characterId: CharacterId;
  jobId: JobId;
  itemId: string;
  ordinal: number;
  chunkId: ChunkId | null;
  protective: boolean;
  limit: string | null;
  type: string;
  location: string;
  time: string;
  background: string;
  people: string[];
  callId: string | null;
  promptVersion: string;
}

/** The scene's tags as a JSON array, sorted (one primary-key range of scene_tags); `scene` names its id column. */
const tagsColumn = (scene: string) =>
  `(SELECT json_group_array(tag) FROM (SELECT tag FROM scene_tags WHERE scene_id = ${scene} ORDER BY tag)) AS tags`;

const SELECT_SCENE = `
  SELECT s.*, ${tagsColumn('s.id')}, e.background AS e_background, e.turns AS e_turns, e.call_id AS e_call_id, e.prompt_version AS e_prompt_version,
    e.problems AS e_problems
  FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id`;

/** The generated dataset (scenes, experiences), what a character cannot know, and custom prompts. */
export class DatasetRepo {
  constructor(private readonly db: Db) {}

  insertScene(scene: NewScene, now: number): void {
    this.db
      .prepare(
        `INSERT INTO scenes (id, character_id, job_id, item_id, ordinal, chunk_id, protective, limit_text, type, location, time,
           background, people, call_id, prompt_version, created_at)
         VALUES (@id, @characterId, @jobId, @itemId, @ordinal, @chunkId, @protective, @limit, @type, @location, @time,
           @background, @people, @callId, @promptVersion, @now)`,
      )
      .run({ ...scene, protective: scene.protective ? 1 : 0, people: JSON.stringify(scene.people), now });
  }

  /**
   * Writes the experience and stores its figures on the scene (scene-figures.ts), in one
   * transaction. It moves the scene's revision on, so an editor holding the scene from before gets
   * a conflict instead of overwriting it.
   */
  insertExperience(
    sceneId: SceneId,
    experience: Omit<Experience, 'callId'> & { callId: string | null },
    now: number,
  ): void {
    this.db.transaction(() => {
      writeExperience(this.db, sceneId, experience, now);
      this.db.prepare('UPDATE scenes SET revision = revision + 1 WHERE id = ?').run(sceneId);
    })();
  }

  scene(id: SceneId): Scene | undefined {
    const row = this.db.prepare(`${SELECT_SCENE} WHERE s.id = ?`).get(id) as SceneRow | undefined;
    return row && toScene(row);
  }

  /**
   * A page of the character's scenes matching `filter` as the list shows them. Reads no
   * experience: the figures are stored on the scene.
   */
  scenes(
    characterId: CharacterId,
    offset: number,
    limit: number,
    filter: SceneFilter = {},
  ): { total: number; scenes: SceneSummary[] } {
    const where = sceneWhere(characterId, filter);
    const total = this.db.prepare(`SELECT count(*) FROM scenes WHERE ${where.sql}`).pluck().get(where.params) as number;
    const rows = this.db
      .prepare(
        `SELECT id, character_id, chunk_id, protective, limit_text, type, location, time, people, created_at,
           has_experience, turn_count, word_count, problem_count, review_status, rating, reviewed_at,
           ${tagsColumn('scenes.id')}
         FROM scenes WHERE ${where.sql} ORDER BY created_at, rowid LIMIT @limit OFFSET @offset`,
      )
      .all({ ...where.params, limit, offset }) as SummaryRow[];
    const codes = new Map<string, Partial<Record<FormatProblemCode, number>>>();
    const withProblems = rows.filter((r) => r.problem_count > 0).map((r) => r.id);
    if (withProblems.length > 0) {
      const found = this.db
        .prepare(
          `SELECT scene_id, code, count FROM scene_problem_counts WHERE scene_id IN (${withProblems.map(() => '?').join(',')})`,
        )
        .all(...withProblems) as { scene_id: string; code: FormatProblemCode; count: number }[];
      for (const f of found) codes.set(f.scene_id, { ...codes.get(f.scene_id), [f.code]: f.count });
    }
    return { total, scenes: rows.map((r) => toSummary(r, codes.get(r.id) ?? {})) };
  }

  /**
   * Every scene of the character that has its experience and was not rejected in review, whole, in creation order (what a training
   * run exports), `pageSize` at a time: each page is one short query, read when the iterator asks
   * for it, so the caller can give the event loop a turn between pages. Scenes written after the
   * first page is asked for are left out (the export is of the dataset as it was at that moment).
   */
  *trainableScenePages(characterId: CharacterId, pageSize = 256): Generator<Scene[], void, undefined> {
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

  /**
   * What the training estimate needs, from the stored figures: scenes with an experience and not
   * rejected (what `trainableScenePages` exports), their
   * training length, and other speakers' thinking turns the export will leave out.
   */
  trainingFigures(characterId: CharacterId): {
    examples: number;
    trainChars: number;
    otherThinking: number;
    scenesWithOtherThinking: number;
  } {
    return this.db
      .prepare(
        `SELECT count(*) AS examples, coalesce(sum(train_chars), 0) AS trainChars,
           coalesce(sum(other_thinking), 0) AS otherThinking, coalesce(sum(other_thinking > 0), 0) AS scenesWithOtherThinking
         FROM scenes WHERE character_id = ? AND has_experience = 1 AND review_status != 'rejected'`,
      )
      .get(characterId) as {
      examples: number;
      trainChars: number;
      otherThinking: number;
      scenesWithOtherThinking: number;
    };
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
   * The character's scenes from every job, in creation order. A target counts the character's
   * whole dataset, so re-runs de-duplicate against it and complete its missing experiences.
   */
  characterScenes(
    characterId: CharacterId,
    protective: boolean,
  ): { id: SceneId; location: string; background: string; hasExperience: boolean; rejected: boolean }[] {
    return (
      this.db
        .prepare(
          `SELECT s.id, s.location, s.background, s.has_experience AS has, s.review_status = 'rejected' AS rejected
           FROM scenes s WHERE s.character_id = ? AND s.protective = ? ORDER BY s.created_at, s.rowid`,
        )
        .all(characterId, protective ? 1 : 0) as {
        id: SceneId;
        location: string;
        background: string;
        has: number;
        rejected: number;
      }[]
    ).map((r) => ({
      id: r.id,
      location: r.location,
      background: r.background,
      hasExperience: r.has === 1,
      rejected: r.rejected === 1,
    }));
  }

  /** The character's scenes, all jobs together; `exceptJob` leaves out those one job made. */
  countCharacterScenes(characterId: CharacterId, protective: boolean, exceptJob?: JobId): number {
    return this.db
      .prepare(
        `SELECT count(*) FROM scenes WHERE character_id = @characterId AND protective = @protective
           AND (@exceptJob IS NULL OR job_id IS NOT @exceptJob)`,
      )
      .pluck()
      .get({ characterId, protective: protective ? 1 : 0, exceptJob: exceptJob ?? null }) as number;
  }

  /**
   * What a job answers for: the character's scenes made by the job or before it was created (later
   * runs' scenes are theirs), with how many have their experience.
   */
  jobScope(
    characterId: CharacterId,
    jobId: JobId,
    jobCreatedAt: number,
  ): { scenes: number; experiences: number; protective: number; protectiveExperiences: number } {
    // Two covering-index ranges: the job's own scenes, then the earlier ones of other runs. Counted
    // by group (the index's own order for the first), which SQLite does far faster than sums of expressions.
    const scope = { scenes: 0, experiences: 0, protective: 0, protectiveExperiences: 0 };
    type Group = { protective: number; has: number; n: number };
    const groups = [
      ...(this.db
        .prepare(
          'SELECT protective, has_experience AS has, count(*) AS n FROM scenes WHERE job_id = ? GROUP BY protective, has_experience',
        )
        .all(jobId) as Group[]),
      ...(this.db
        .prepare(
          `SELECT protective, has_experience AS has, count(*) AS n FROM scenes
           WHERE character_id = ? AND created_at < ? AND job_id IS NOT ? GROUP BY protective, has_experience`,
        )
        .all(characterId, jobCreatedAt, jobId) as Group[]),
    ];
    for (const { protective, has, n } of groups) {
      if (protective) scope.protective += n;
      else scope.scenes += n;
      if (protective && has) scope.protectiveExperiences += n;
      else if (has) scope.experiences += n;
    }
    return scope;
  }

  /** Whether the scene still exists, lacks its experience and was not rejected: an experience item's work. */
  needsExperience(sceneId: SceneId): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM scenes WHERE id = ? AND has_experience = 0 AND review_status != 'rejected'")
        .get(sceneId) !== undefined
    );
  }

  /** The Dataset tab's totals: sums of the figures stored on each scene (one covering index), no experience read. */
  stats(characterId: CharacterId): DatasetStats {
    const row = this.db
      .prepare(
        `SELECT count(*) AS scenes, coalesce(sum(protective), 0) AS protectiveScenes,
           coalesce(sum(has_experience), 0) AS experiences, coalesce(sum(turn_count), 0) AS turns,
           coalesce(sum(word_count), 0) AS words, coalesce(sum(problem_count > 0), 0) AS experiencesWithProblems
         FROM scenes WHERE character_id = ?`,
      )
      .get(characterId) as Omit<DatasetStats, 'problems'>;
    const problems: Partial<Record<FormatProblemCode, number>> = {};
    const byCode = this.db
      .prepare('SELECT code, sum(count) AS n FROM scene_problem_counts WHERE character_id = ? GROUP BY code')
      .all(characterId) as { code: FormatProblemCode; n: number }[];
    for (const { code, n } of byCode) problems[code] = n;
    return { ...row, problems };
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

  customPrompt(
    characterId: CharacterId,
    stage: Stage,
  ): { version: number; system: string; template: string; active: boolean } | undefined {
    const row = this.db
      .prepare(
        'SELECT version, system, template, active FROM prompt_versions WHERE character_id = ? AND stage = ? ORDER BY version DESC LIMIT 1',
      )
      .get(characterId, stage) as { version: number; system: string; template: string; active: number } | undefined;
    return row && { version: row.version, system: row.system, template: row.template, active: row.active === 1 };
  }

  insertPrompt(
    p: { id: string; characterId: CharacterId; stage: Stage; system: string; template: string; active: boolean },
    now: number,
  ): void {
    const version =
      ((this.db
        .prepare('SELECT max(version) FROM prompt_versions WHERE character_id = ? AND stage = ?')
        .pluck()
        .get(p.characterId, p.stage) as number | null) ?? 0) + 1;
    this.db
      .prepare(
        'INSERT INTO prompt_versions (id, character_id, stage, version, system, template, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(p.id, p.characterId, p.stage, version, p.system, p.template, p.active ? 1 : 0, now);
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

interface SummaryRow extends BaseRow {
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

function toSummary(row: SummaryRow, problems: Partial<Record<FormatProblemCode, number>>): SceneSummary {
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
