import type { CharacterId, SceneId } from '../../common/contract';
import type { Db } from './database';

/** A scene's stored near-duplicate signature, with its text when there is none to read. */
export interface SignatureRow {
  id: SceneId;
  /** Creation time and rowid: the page cursor (`after`). */
  createdAt: number;
  rowid: number;
  signature: Uint8Array | null;
  /** The scene's text: set only when `signature` is null (none stored, or one of other hashing). */
  text: { location: string; background: string } | null;
}

/**
 * The scenes' near-duplicate signatures (migration 026, `scenes.dedupe_signature`): an opaque blob
 * whose format is parse-dedupe.ts's, kept so that a generation job need not hash every scene's text
 * again. The store neither reads nor checks it; a trigger drops it when the text it is of changes.
 */
export class SceneSignaturesRepo {
  constructor(private readonly db: Db) {}

  /**
   * One page of the character's normal (not protective) scenes in creation order, after the
   * cursor (`null`: from the first). A signature counts only when its first 4 bytes are `tag` (the
   * hashing it was made by); scenes with one come without their text, so a page of a dataset whose
   * signatures are all there reads ~100 bytes a scene.
   */
  page(
    characterId: CharacterId,
    tag: Uint8Array,
    after: { createdAt: number; rowid: number } | null,
    limit: number,
  ): SignatureRow[] {
    const rows = this.db
      .prepare(
        `SELECT id, createdAt, rowid, CASE WHEN usable THEN signature END AS signature,
           CASE WHEN NOT usable THEN location END AS location, CASE WHEN NOT usable THEN background END AS background
         FROM (SELECT id, created_at AS createdAt, rowid, dedupe_signature AS signature, location, background,
                 coalesce(substr(dedupe_signature, 1, 4) = @tag, 0) AS usable
               FROM scenes WHERE character_id = @characterId AND protective = 0
                 AND (created_at, rowid) > (@createdAt, @rowid)
               ORDER BY created_at, rowid LIMIT @limit)`,
      )
      .all({
        characterId,
        tag,
        createdAt: after?.createdAt ?? -Infinity,
        rowid: after?.rowid ?? -Infinity,
        limit,
      }) as {
      id: SceneId;
      createdAt: number;
      rowid: number;
      signature: Uint8Array | null;
      location: string | null;
      background: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.createdAt,
      rowid: r.rowid,
      signature: r.signature,
      text: r.signature === null ? { location: r.location ?? '', background: r.background ?? '' } : null,
    }));
  }

  /**
   * Stores signatures computed from the text `page` gave (over any of other hashing). A scene whose
   * text changed (or that was deleted) since is left alone: its signature would be of text it no
   * longer has.
   */
  store(rows: readonly { id: SceneId; location: string; background: string; signature: Uint8Array }[]): void {
    const update = this.db.prepare(
      `UPDATE scenes SET dedupe_signature = @signature
       WHERE id = @id AND location = @location AND background = @background`,
    );
    this.db.transaction(() => {
      for (const row of rows) update.run(row);
    })();
  }
}
