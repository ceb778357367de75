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
  Scene,
  SceneId,
  Stage,
  Turn,
} from '../../common/contract';
import type { Db } from './database';

interface SceneRow {
  id: string;
  character_id: string;
  job_id: string | null;
  item_id: string;
  ordinal: number;
  chunk_id: string | null;
  protective: number;
  limit_text: string | null;
  type: string;
  location: string;
  time: string;
  background: string;
  people: string;
  call_id: string | null;
  prompt_version: string;
  created_at: number;
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

const SELECT_SCENE = `
  SELECT s.*, e.background AS e_background, e.turns AS e_turns, e.call_id AS e_call_id, e.prompt_version AS e_prompt_version,
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

  insertExperience(
    sceneId: SceneId,
    experience: Omit<Experience, 'callId'> & { callId: string | null },
    now: number,
  ): void {
    this.db
      .prepare(
        `INSERT INTO experiences (scene_id, background, turns, call_id, prompt_version, problems, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        sceneId,
        experience.background,
        JSON.stringify(experience.turns),
        experience.callId,
        experience.promptVersion,
        JSON.stringify(experience.problems),
        now,
      );
  }

  scene(id: SceneId): Scene | undefined {
    const row = this.db.prepare(`${SELECT_SCENE} WHERE s.id = ?`).get(id) as SceneRow | undefined;
    return row && toScene(row);
  }

  /** A page of the character's scenes; `problems` keeps only those whose experience has format problems. */
  scenes(
    characterId: CharacterId,
    offset: number,
    limit: number,
    protective?: boolean,
    problems?: boolean,
  ): { total: number; scenes: Scene[] } {
    let filter = protective === undefined ? '' : ` AND s.protective = ${protective ? 1 : 0}`;
    if (problems) filter += ` AND e.problems IS NOT NULL AND e.problems <> '[]'`;
    const total = this.db
      .prepare(
        `SELECT count(*) FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id WHERE s.character_id = ?${filter}`,
      )
      .pluck()
      .get(characterId) as number;
    const rows = this.db
      .prepare(`${SELECT_SCENE} WHERE s.character_id = ?${filter} ORDER BY s.created_at, s.rowid LIMIT ? OFFSET ?`)
      .all(characterId, limit, offset) as SceneRow[];
    return { total, scenes: rows.map(toScene) };
  }

  /**
   * The character's scenes from every job, in creation order. A target counts the character's
   * whole dataset, so re-runs de-duplicate against it and complete its missing experiences.
   */
  characterScenes(
    characterId: CharacterId,
    protective: boolean,
  ): { id: SceneId; location: string; background: string; hasExperience: boolean }[] {
    return (
      this.db
        .prepare(
          `SELECT s.id, s.location, s.background, e.scene_id IS NOT NULL AS has
           FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id
           WHERE s.character_id = ? AND s.protective = ? ORDER BY s.created_at, s.rowid`,
        )
        .all(characterId, protective ? 1 : 0) as { id: SceneId; location: string; background: string; has: number }[]
    ).map((r) => ({ id: r.id, location: r.location, background: r.background, hasExperience: r.has === 1 }));
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
    const row = this.db
      .prepare(
        `SELECT coalesce(sum(s.protective = 0), 0) AS scenes,
           coalesce(sum(s.protective = 0 AND e.scene_id IS NOT NULL), 0) AS experiences,
           coalesce(sum(s.protective = 1), 0) AS protective,
           coalesce(sum(s.protective = 1 AND e.scene_id IS NOT NULL), 0) AS protectiveExperiences
         FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id
         WHERE s.character_id = ? AND (s.job_id = ? OR s.created_at < ?)`,
      )
      .get(characterId, jobId, jobCreatedAt) as {
      scenes: number;
      experiences: number;
      protective: number;
      protectiveExperiences: number;
    };
    return row;
  }

  hasExperience(sceneId: SceneId): boolean {
    return this.db.prepare('SELECT 1 FROM experiences WHERE scene_id = ?').get(sceneId) !== undefined;
  }

  countJobScenes(jobId: JobId, protective: boolean): number {
    return this.db
      .prepare('SELECT count(*) FROM scenes WHERE job_id = ? AND protective = ?')
      .pluck()
      .get(jobId, protective ? 1 : 0) as number;
  }

  countJobExperiences(jobId: JobId, protective: boolean): number {
    return this.db
      .prepare(
        'SELECT count(*) FROM experiences e JOIN scenes s ON s.id = e.scene_id WHERE s.job_id = ? AND s.protective = ?',
      )
      .pluck()
      .get(jobId, protective ? 1 : 0) as number;
  }

  stats(characterId: CharacterId): DatasetStats {
    const row = this.db
      .prepare(
        `SELECT count(*) AS scenes, coalesce(sum(s.protective), 0) AS protective, count(e.scene_id) AS experiences
         FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id WHERE s.character_id = ?`,
      )
      .get(characterId) as { scenes: number; protective: number; experiences: number };
    let turns = 0;
    let words = 0;
    let experiencesWithProblems = 0;
    const problems: Partial<Record<FormatProblemCode, number>> = {};
    const all = this.db
      .prepare(
        'SELECT e.turns, e.problems FROM experiences e JOIN scenes s ON s.id = e.scene_id WHERE s.character_id = ?',
      )
      .all(characterId) as { turns: string; problems: string }[];
    for (const experience of all) {
      const parsed = JSON.parse(experience.turns) as Turn[];
      turns += parsed.length;
      for (const t of parsed) words += t.text.split(/\s+/).filter(Boolean).length;
      const found = JSON.parse(experience.problems) as FormatProblem[];
      if (found.length > 0) experiencesWithProblems++;
      for (const p of found) problems[p.code] = (problems[p.code] ?? 0) + 1;
    }
    return {
      scenes: row.scenes,
      protectiveScenes: row.protective,
      experiences: row.experiences,
      turns,
      words,
      experiencesWithProblems,
      problems,
    };
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

function toScene(row: SceneRow): Scene {
  return {
    id: row.id as SceneId,
    characterId: row.character_id as CharacterId,
    chunkId: row.chunk_id as ChunkId | null,
    protective: row.protective === 1,
    limit: row.limit_text,
    type: row.type,
    location: row.location,
    time: row.time,
    background: row.background,
    people: JSON.parse(row.people) as string[],
    callId: row.call_id as CallId | null,
    promptVersion: row.prompt_version,
    createdAt: row.created_at,
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
