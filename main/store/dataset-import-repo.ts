import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CharacterId, ImportProvenance, SceneId } from '../../common/contract';
import type { Db } from './database';
import type { SceneFigures } from './scene-figures';

/** One scene of an import, with its experience (null for a scene file) and the figures computed for it. */
export interface StagedScene {
  id: SceneId;
  /** Scene order within the import (its `ordinal`; across the files of a folder). */
  ordinal: number;
  protective: boolean;
  type: string;
  location: string;
  background: string;
  people: string[];
  /** The split file inside a folder import; null for a single file. */
  file: string | null;
  line: number;
  source: string | null;
  /** The first revision's document (SceneDoc as JSON). */
  doc: string;
  experience: { background: string; turns: string; problems: string; figures: SceneFigures } | null;
}

let stageCounter = 0;

/**
 * An import's staging area: tables in a scratch database file of its own, attached to this
 * connection (so filling them takes no lock the other doors wait on, nothing of it reaches the
 * studio's file, and a large import is held on disk, not in memory: the connection keeps its temp
 * database in memory, see database.ts), that `commit` copies into the store in one transaction, or
 * `discard` drops with its file. Between batches the caller gives the event loop a turn.
 *
 * Lifecycle: the file is created in the system's temp folder when the stage opens and deleted by
 * `discard`, which the caller runs whatever happens (a process killed mid-import leaves it to the
 * system's temp cleanup). Opened and discarded outside any transaction (SQLite cannot attach or
 * detach inside one).
 */
export class ImportStage {
  private readonly t: string;
  private readonly schema: string;
  private readonly file: string;
  private open = true;

  constructor(
    private readonly db: Db,
    private readonly characterId: CharacterId,
    private readonly now: number,
  ) {
    this.schema = `import_stage_${process.pid}_${++stageCounter}`;
    this.file = path.join(os.tmpdir(), `character-studio-${this.schema}-${Date.now()}.sqlite`);
    db.prepare(`ATTACH DATABASE ? AS ${this.schema}`).run(this.file);
    // Scratch: nothing to recover after a crash, so no journal and no syncing.
    db.exec(`PRAGMA ${this.schema}.journal_mode = OFF; PRAGMA ${this.schema}.synchronous = OFF;`);
    this.t = `${this.schema}.stage`;
    db.exec(`
      CREATE TABLE ${this.t}_scenes (id TEXT PRIMARY KEY, ordinal INTEGER, protective INTEGER, type TEXT, location TEXT,
        background TEXT, people TEXT, file TEXT, line INTEGER, source TEXT, doc TEXT, has_experience INTEGER,
        turn_count INTEGER, word_count INTEGER, train_chars INTEGER, problem_count INTEGER, other_thinking INTEGER);
      CREATE TABLE ${this.t}_experiences (scene_id TEXT PRIMARY KEY, background TEXT, turns TEXT, problems TEXT);
      CREATE TABLE ${this.t}_problems (scene_id TEXT, code TEXT, count INTEGER);`);
  }

  /** Adds a batch, in one short transaction. */
  add(scenes: readonly StagedScene[]): void {
    const scene = this.db.prepare(
      `INSERT INTO ${this.t}_scenes VALUES (@id, @ordinal, @protective, @type, @location, @background, @people, @file,
         @line, @source, @doc, @has, @turns, @words, @trainChars, @problems, @otherThinking)`,
    );
    const experience = this.db.prepare(`INSERT INTO ${this.t}_experiences VALUES (?, ?, ?, ?)`);
    const problem = this.db.prepare(`INSERT INTO ${this.t}_problems VALUES (?, ?, ?)`);
    this.db.transaction(() => {
      for (const s of scenes) {
        const f = s.experience?.figures;
        scene.run({
          ...s,
          protective: s.protective ? 1 : 0,
          people: JSON.stringify(s.people),
          has: s.experience ? 1 : 0,
          turns: f?.turns ?? 0,
          words: f?.words ?? 0,
          trainChars: f?.trainChars ?? 0,
          problems: f?.problems ?? 0,
          otherThinking: f?.otherThinking ?? 0,
        });
        if (!s.experience) continue;
        experience.run(s.id, s.experience.background, s.experience.turns, s.experience.problems);
        for (const [code, count] of Object.entries(s.experience.figures.problemsByCode)) problem.run(s.id, code, count);
      }
    })();
  }

  /** Copies every staged scene into the store with the import's row, in one transaction; then drops the stage. */
  commit(importId: string, file: string, format: string): number {
    const count = this.db.transaction(() => {
      const n = this.db.prepare(`SELECT count(*) FROM ${this.t}_scenes`).pluck().get() as number;
      const p = { importId, characterId: this.characterId, now: this.now, file, format, n };
      this.db
        .prepare(
          'INSERT INTO dataset_imports (id, character_id, file, format, scenes, created_at) VALUES (@importId, @characterId, @file, @format, @n, @now)',
        )
        .run(p);
      this.db
        .prepare(
          `INSERT INTO scenes (id, character_id, job_id, item_id, ordinal, chunk_id, protective, limit_text, type, location, time,
             background, people, call_id, prompt_version, created_at, has_experience, turn_count, word_count, train_chars,
             problem_count, other_thinking, revision, origin, import_id, import_line, import_file, import_source)
           SELECT id, @characterId, NULL, 'import:' || @importId, ordinal, NULL, protective, NULL, type, location, '',
             background, people, NULL, 'import', @now, has_experience, turn_count, word_count, train_chars,
             problem_count, other_thinking, 1, 'import', @importId, line, file, source
           FROM ${this.t}_scenes ORDER BY ordinal`,
        )
        .run({ characterId: this.characterId, importId, now: this.now });
      this.db
        .prepare(
          `INSERT INTO experiences (scene_id, background, turns, call_id, prompt_version, created_at, problems)
           SELECT scene_id, background, turns, NULL, 'import', @now, problems FROM ${this.t}_experiences`,
        )
        .run({ now: this.now });
      this.db
        .prepare(
          `INSERT INTO scene_problem_counts (scene_id, character_id, code, count)
           SELECT scene_id, @characterId, code, count FROM ${this.t}_problems`,
        )
        .run({ characterId: this.characterId });
      this.db
        .prepare(
          `INSERT INTO scene_revisions (scene_id, revision, doc, author, call_id, prompt_version, restored_from, created_at)
           SELECT id, 1, doc, 'import', NULL, NULL, NULL, @now FROM ${this.t}_scenes`,
        )
        .run({ now: this.now });
      return n;
    })();
    this.discard();
    return count;
  }

  /** Drops the staged rows and their file; nothing of the import stays. Safe to call twice. */
  discard(): void {
    if (!this.open) return;
    this.open = false;
    this.db.exec(`DETACH DATABASE ${this.schema}`);
    fs.rmSync(this.file, { force: true });
  }

  /** The stage's file while it is open (tests look for it). */
  get location(): string {
    return this.file;
  }
}

/** Imports of datasets from files (migration 016): staging, and where an imported scene came from. */
export class DatasetImportRepo {
  constructor(private readonly db: Db) {}

  stage(characterId: CharacterId, now: number): ImportStage {
    return new ImportStage(this.db, characterId, now);
  }

  provenance(sceneId: SceneId): ImportProvenance | undefined {
    const row = this.db
      .prepare(
        `SELECT CASE WHEN s.import_file IS NULL THEN i.file ELSE i.file || '/' || s.import_file END AS file, i.format, s.import_line AS line, s.import_source AS source, i.created_at AS importedAt
         FROM scenes s JOIN dataset_imports i ON i.id = s.import_id WHERE s.id = ?`,
      )
      .get(sceneId) as ImportProvenance | undefined;
    return row;
  }
}
