import type { CharacterId, ImportProvenance, SceneId } from '../../common/contract';
import type { Db } from './database';
import { ImportStage } from './import-stage';
import { ImportWriter, InlineStageWriter, type StageWriter } from './import-writer';
import { SearchMerges } from './search-merges';

/** The studio's database file, for a writer thread's connection of its own (import-writer.ts). */
export interface WriterThreadOptions {
  file: string;
  nativeBinding?: string;
}

/** Imports of datasets from files (migration 016): staging, and where an imported scene came from. */
export class DatasetImportRepo {
  private readonly writers = new Set<ImportWriter>();

  constructor(
    private readonly db: Db,
    /** Where copies are written: a thread of their own on this file, or (null) this connection on the calling thread. */
    private readonly thread: WriterThreadOptions | null = null,
  ) {}

  stage(characterId: CharacterId, now: number): ImportStage {
    return new ImportStage(this.db, characterId, now);
  }

  /**
   * The writer of `stage`'s copy for `importId` (after `stage.begin`): a thread of its own when the
   * repo has the database file. The caller closes it when the import ends.
   */
  writer(stage: ImportStage, importId: string): StageWriter {
    if (!this.thread) return new InlineStageWriter(stage, importId);
    const writer = new ImportWriter(stage, importId, this.thread.file, this.thread.nativeBinding);
    this.writers.add(writer);
    void writer.ended.then(() => this.writers.delete(writer));
    return writer;
  }

  /** Ends the writer threads of imports still running (the studio closing: before its connection closes). */
  async closeWriters(): Promise<void> {
    const writers = [...this.writers];
    this.writers.clear();
    await Promise.all(writers.map((writer) => writer.terminate()));
  }

  /**
   * Removes what imports cut short by a stop of the studio left in the store (their row still
   * `copying`), in one transaction, and gives the search index's merges back to its commits:
   * run when the studio opens, before it serves (a scan of the scenes, only after such a stop).
   * Returns how many imports there were.
   */
  undoInterrupted(): number {
    return this.db.transaction(() => {
      const ids = this.db.prepare('SELECT id FROM dataset_imports WHERE copying = 1').pluck().all() as string[];
      if (ids.length > 0) {
        this.db
          .prepare('DELETE FROM scenes WHERE import_id IN (SELECT id FROM dataset_imports WHERE copying = 1)')
          .run();
        this.db.prepare('DELETE FROM dataset_imports WHERE copying = 1').run();
      }
      // The search index merges in its commits again (a stop mid-copy left it held; one row read otherwise).
      new SearchMerges(this.db).releaseIfIdle();
      return ids.length;
    })();
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
