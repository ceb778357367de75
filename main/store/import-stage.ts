import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CharacterId, SceneId } from '../../common/contract';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { copySteps, undoSteps, type CopyParams } from './import-steps';
import { SearchMerges } from './search-merges';
import { STAGE_PREFIX } from './import-stage-files';
import { prepareUncached } from './statement-cache';
import type { SceneFigures } from './scene-figures';
import type { TurnFigures } from './turn-figures';

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
  experience: {
    background: string;
    turns: string;
    problems: string;
    figures: SceneFigures;
    /** Speakers and turn lengths, as a written experience stores them (turn-figures.ts). */
    turnFigures: TurnFigures;
  } | null;
}

/** A stage's copy as the import's writer thread runs it on a connection of its own. */
export interface CopyJob {
  /** The stage's file, and the schema name it is attached under (the SQL names it). */
  stageFile: string;
  schema: string;
  copySql: string[];
  removeSql: string;
  params: CopyParams;
  /** Scenes per step, and the last staged ordinal. */
  step: number;
  last: number;
}

let stageCounter = 0;

/**
 * Scenes copied (or removed) per step of a slice: a step is a few ms of work (each experience's
 * full-text indexing dominates), so a slice stops close to its time budget.
 */
export const COPY_STEP_SCENES = 8;

/**
 * An import's staging area: tables in a scratch database file of its own, attached to this
 * connection (so filling them takes no lock the other doors wait on, nothing of it reaches the
 * studio's file, and a large import is held on disk, not in memory: the connection keeps its temp
 * database in memory, see database.ts), that `begin`, `copySlice` … and `finish` copy into the
 * store (slices of short transactions, the import's row marked `copying` until the last is in;
 * `undoSlice` removes a copy cut short), or `discard` drops with its file. Between batches and
 * slices the caller gives the event loop a turn. In the studio the copy's slices, their undo and
 * its merges are written by the import's writer thread instead (`DatasetImportRepo.writer`), whose
 * connection attaches the same file once this one has staged every batch (`copyJob`).
 *
 * Lifecycle: the file is created in the system's temp folder when the stage opens and deleted by
 * `discard`, which the caller runs whatever happens (a process killed mid-import leaves it to the
 * system's temp cleanup). Opened and discarded outside any transaction (SQLite cannot attach or
 * detach inside one). Discarding detaches and deletes the file: no page of it is freed one by one.
 */
export class ImportStage {
  private readonly t: string;
  private readonly schema: string;
  private readonly file: string;
  private open = true;
  /**
   * The stage's statements, compiled once each (their SQL names the stage's own schema, so they
   * are held here and go with the stage rather than fill the connection's cache).
   */
  private staging: Record<'scene' | 'experience' | 'problem' | 'speaker' | 'length', Statement> | null = null;
  private copy: Statement[] | null = null;
  private remove: Statement | null = null;
  /**
   * Scenes staged, and the last ordinal staged, counted by `add`: counting the staged table (whose
   * rows hold each scene's whole text) read every page of it, ~0.15 s in one step at 100,000 scenes.
   */
  private count = 0;
  private last = 0;
  private readonly merges: SearchMerges;

  constructor(
    private readonly db: Db,
    private readonly characterId: CharacterId,
    private readonly now: number,
  ) {
    this.merges = new SearchMerges(db);
    this.schema = `import_stage_${process.pid}_${++stageCounter}`;
    this.file = path.join(os.tmpdir(), `${STAGE_PREFIX}${this.schema}-${Date.now()}.sqlite`);
    db.prepare(`ATTACH DATABASE ? AS ${this.schema}`).run(this.file);
    // Scratch: nothing to recover after a crash, so no syncing, and the rollback journal in memory.
    // (`OFF` is refused without a word in better-sqlite3's defensive mode: the stage then kept a
    // journal file, created, written and deleted by every batch and slice.)
    db.exec(`PRAGMA ${this.schema}.journal_mode = MEMORY; PRAGMA ${this.schema}.synchronous = OFF;`);
    this.t = `${this.schema}.stage`;
    // Every staged table is keyed by the scene's ordinal (the import's order, unique), so a slice of
    // the copy reads each table by one range of its key: no join, no second index to go through.
    db.exec(`
      CREATE TABLE ${this.t}_scenes (ordinal INTEGER PRIMARY KEY, id TEXT, protective INTEGER, type TEXT, location TEXT,
        background TEXT, people TEXT, file TEXT, line INTEGER, source TEXT, doc TEXT, has_experience INTEGER,
        turn_count INTEGER, word_count INTEGER, train_chars INTEGER, problem_count INTEGER, other_thinking INTEGER);
      CREATE TABLE ${this.t}_experiences (ordinal INTEGER PRIMARY KEY, scene_id TEXT, background TEXT, turns TEXT, problems TEXT);
      CREATE TABLE ${this.t}_problems (ordinal INTEGER, scene_id TEXT, code TEXT, count INTEGER);
      CREATE TABLE ${this.t}_speakers (ordinal INTEGER, scene_id TEXT, speaker TEXT, kind TEXT, turns INTEGER, words INTEGER);
      CREATE TABLE ${this.t}_lengths (ordinal INTEGER, scene_id TEXT, bucket INTEGER, turns INTEGER);
      CREATE INDEX ${this.t}_problems_ordinal ON stage_problems (ordinal);
      CREATE INDEX ${this.t}_speakers_ordinal ON stage_speakers (ordinal);
      CREATE INDEX ${this.t}_lengths_ordinal ON stage_lengths (ordinal);`);
  }

  /** Adds a batch, in one short transaction. */
  add(scenes: readonly StagedScene[]): void {
    this.staging ??= {
      scene: this.compile(
        `INSERT INTO ${this.t}_scenes VALUES (@ordinal, @id, @protective, @type, @location, @background, @people,
           @file, @line, @source, @doc, @has, @turns, @words, @trainChars, @problems, @otherThinking)`,
      ),
      experience: this.compile(`INSERT INTO ${this.t}_experiences VALUES (?, ?, ?, ?, ?)`),
      problem: this.compile(`INSERT INTO ${this.t}_problems VALUES (?, ?, ?, ?)`),
      speaker: this.compile(`INSERT INTO ${this.t}_speakers VALUES (?, ?, ?, ?, ?, ?)`),
      length: this.compile(`INSERT INTO ${this.t}_lengths VALUES (?, ?, ?, ?)`),
    };
    const { scene, experience, problem, speaker, length } = this.staging;
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
        const key = [s.ordinal, s.id] as const;
        experience.run(...key, s.experience.background, s.experience.turns, s.experience.problems);
        for (const [code, count] of Object.entries(s.experience.figures.problemsByCode))
          problem.run(...key, code, count);
        const { speakers, lengths } = s.experience.turnFigures;
        for (const f of speakers) speaker.run(...key, f.speaker, f.kind, f.turns, f.words);
        for (const [bucket, turns] of lengths) length.run(...key, bucket, turns);
      }
    })();
    this.count += scenes.length;
    for (const s of scenes) this.last = Math.max(this.last, s.ordinal);
  }

  /**
   * Staged scenes the character has already: the item's own id is one of its scenes' ids (an
   * export of its dataset, imported back), or the same item of the same file (`file`, as the user
   * named it) came in with an earlier import. Item ids alone are not enough: the paper's files
   * number their items afresh in each file. One read of the stage, each id looked up in two lists
   * built once.
   */
  alreadyThere(file: string): { count: number; example: string | null } {
    return this.db
      .prepare(
        `SELECT count(*) AS count, min(source) AS example FROM ${this.t}_scenes
         WHERE source IN (SELECT id FROM scenes WHERE character_id = @c)
           OR (source, coalesce(file, '')) IN (
             SELECT s.import_source, coalesce(s.import_file, '') FROM scenes s JOIN dataset_imports i ON i.id = s.import_id
             WHERE s.character_id = @c AND i.file = @file AND s.import_source IS NOT NULL)`,
      )
      .get({ c: this.characterId, file }) as { count: number; example: string | null };
  }

  /**
   * The copy's statements (the stage's tables, and so the SQL, are its own): each copies the staged
   * rows of the scenes with ordinals in (@after, @upTo] (parameters: import-steps.ts, CopyParams).
   */
  copySql(): string[] {
    const slice = 'WHERE ordinal > @after AND ordinal <= @upTo';
    return [
      `INSERT INTO scenes (id, character_id, job_id, item_id, ordinal, chunk_id, protective, limit_text, type, location, time,
         background, people, call_id, prompt_version, created_at, has_experience, turn_count, word_count, train_chars,
         problem_count, other_thinking, revision, origin, import_id, import_line, import_file, import_source)
       SELECT id, @characterId, NULL, 'import:' || @importId, ordinal, NULL, protective, NULL, type, location, '',
         background, people, NULL, 'import', @now, has_experience, turn_count, word_count, train_chars,
         problem_count, other_thinking, 1, 'import', @importId, line, file, source
       FROM ${this.t}_scenes ${slice} ORDER BY ordinal`,
      `INSERT INTO experiences (scene_id, background, turns, call_id, prompt_version, created_at, problems)
       SELECT scene_id, background, turns, NULL, 'import', @now, problems FROM ${this.t}_experiences ${slice}`,
      // The per-scene figure tables: staged rows of the slice's scenes, with the character added.
      ...(
        [
          ['scene_problem_counts', 'problems', 'code, count'],
          ['experience_speakers', 'speakers', 'speaker, kind, turns, words'],
          ['scene_turn_lengths', 'lengths', 'bucket, turns'],
        ] as const
      ).map(
        ([table, staged, columns]) =>
          `INSERT INTO ${table} (scene_id, character_id, ${columns})
           SELECT scene_id, @characterId, ${columns} FROM ${this.t}_${staged} ${slice}`,
      ),
      `INSERT INTO scene_revisions (scene_id, revision, doc, author, call_id, prompt_version, restored_from, created_at)
       SELECT id, 1, doc, 'import', NULL, NULL, NULL, @now FROM ${this.t}_scenes ${slice}`,
      // Each scene's search row, once and whole, in rowid order (the triggers leave a copying
      // import's scenes out: migration 028): the text is what the triggers of migration 012 make
      // of the stored scene and experience, so a search finds the same scenes either way.
      `INSERT INTO scene_search (rowid, type, location, time, background, people, experience)
       SELECT s.rowid, s.type, s.location, s.time, s.background,
         (SELECT coalesce(group_concat(value, ', '), '') FROM json_each(s.people)),
         coalesce(e.background || char(10) ||
           (SELECT coalesce(group_concat(json_extract(value, '$.text'), char(10)), '') FROM json_each(e.turns)), '')
       FROM ${this.t}_scenes st JOIN scenes s ON s.id = st.id LEFT JOIN experiences e ON e.scene_id = s.id
       WHERE st.ordinal > @after AND st.ordinal <= @upTo ORDER BY s.rowid`,
    ];
  }

  /** The undo's statement: removes the copied scenes with ordinals in (?, ?] (their rows cascade). */
  removeSql(): string {
    return `DELETE FROM scenes WHERE id IN (SELECT id FROM ${this.t}_scenes WHERE ordinal > ? AND ordinal <= ?)`;
  }

  private compile(sql: string): Statement {
    this.compiled++;
    return prepareUncached(this.db, sql);
  }

  /** Statements this stage compiled so far (tests: the copy compiles its own once, not per slice). */
  compiled = 0;

  /**
   * Starts the copy into the store: the import's row, marked `copying` (migration 024) until
   * `finish`. Returns how many scenes are staged; `copySlice` then copies them in order.
   */
  begin(importId: string, file: string, format: string): number {
    const n = this.count;
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO dataset_imports (id, character_id, file, format, scenes, created_at, copying)
           VALUES (@importId, @characterId, @file, @format, @n, @now, 1)`,
        )
        .run({ importId, characterId: this.characterId, now: this.now, file, format, n });
      // The search index's merges leave the copy's commits: the caller runs `mergeSlice` between slices.
      this.merges.hold();
    })();
    return n;
  }

  /**
   * Merges the search index's segments the copy (or its undo) wrote, in one transaction of its
   * own of about `budgetMs`; returns whether merge work may remain (search-merges.ts).
   */
  mergeSlice(budgetMs: number): boolean {
    return this.merges.mergeSlice(budgetMs);
  }

  /**
   * Copies staged scenes after ordinal `after` into the store, `COPY_STEP_SCENES` at a time, in
   * one transaction, while `more(copied)` (scenes copied by this call so far) says so (at least one
   * step); returns the last ordinal copied. The commit costs about as much as the statements (the
   * full-text index writes what the triggers gave it then), so a caller bounds the scenes, not only the time.
   */
  copySlice(importId: string, after: number, more: (copied: number) => boolean): number {
    // Compiled once for the stage, at its first slice on this connection.
    this.copy ??= this.copySql().map((sql) => this.compile(sql));
    const params = { characterId: this.characterId, importId, now: this.now, after, upTo: 0 };
    return copySteps(this.db, this.copy, params, COPY_STEP_SCENES, this.last, more);
  }

  /**
   * Removes copied scenes, last first, `COPY_STEP_SCENES` a step by their staged ids (a key seek
   * each), in one transaction while `more()` says there is time left; returns the last ordinal
   * still in the store. At 0 the import's row goes too, and the store is as before `begin`.
   */
  undoSlice(importId: string, upTo: number, more: () => boolean): number {
    this.remove ??= this.compile(this.removeSql());
    const left = undoSteps(this.db, this.remove, upTo, COPY_STEP_SCENES, more);
    if (left === 0) this.forget(importId);
    return left;
  }

  /**
   * Ends a copy undone down to 0 (by `undoSlice` or by the import's writer thread): the import's
   * row goes, and the search index merges in its commits again when no other import is copying.
   */
  forget(importId: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM dataset_imports WHERE id = ? AND copying = 1').run(importId);
      this.merges.releaseIfIdle();
    })();
  }

  /** Ends the copy: the import is whole. */
  finish(importId: string): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE dataset_imports SET copying = 0 WHERE id = ?').run(importId);
      this.merges.releaseIfIdle();
    })();
  }

  /**
   * Drops the staged rows and their file; nothing of the import stays. Safe to call twice. The file
   * is deleted off the event loop: unlinking the stage of 100,000 scenes (hundreds of MB) takes the
   * kernel ~0.1 s, which in `rmSync` held every door that long at the end of each import.
   */
  async discard(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.db.exec(`DETACH DATABASE ${this.schema}`);
    await fs.promises.rm(this.file, { force: true });
  }

  /** The stage's file while it is open (tests look for it; the import's writer thread attaches it). */
  get location(): string {
    return this.file;
  }

  /** What the import's writer thread needs to copy this stage's scenes of `importId` (import-writer.ts). */
  copyJob(importId: string): CopyJob {
    return {
      stageFile: this.file,
      schema: this.schema,
      copySql: this.copySql(),
      removeSql: this.removeSql(),
      params: { characterId: this.characterId, importId, now: this.now, after: 0, upTo: 0 },
      step: COPY_STEP_SCENES,
      last: this.last,
    };
  }
}
