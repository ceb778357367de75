import type { CharacterId, ReviewAction, ReviewChange, SceneId } from '../../common/contract';
import type { Db } from './database';
import type { SceneWhere } from './scene-filter';
import { indexPendingSearchRows } from './search-deferral';

/** Review actions kept per character for undo; older ones are dropped as new ones are recorded. */
export const KEEP_ACTIONS = 50;

interface ActionRow {
  id: string;
  summary: string;
  scenes: number;
  created_at: number;
}

/**
 * Review state of scenes (status, rating, tags) and the log that makes bulk actions undoable.
 * Every action is a few set-based statements over the scenes it selects, whatever their number:
 * nothing is read into JavaScript row by row.
 */
export class ReviewRepo {
  constructor(private readonly db: Db) {}

  /** The condition for "these scenes of the character" (ids the character does not own match nothing). */
  static idsWhere(characterId: CharacterId, ids: readonly SceneId[]): SceneWhere {
    return {
      sql: 'character_id = @characterId AND id IN (SELECT value FROM json_each(@ids))',
      params: { characterId, ids: JSON.stringify(ids) },
    };
  }

  /**
   * Applies `change` to every scene matching `where` and records what each looked like before, as
   * action `id`. Returns the number of scenes selected; with none, nothing is recorded.
   */
  apply(
    action: { id: string; characterId: CharacterId; summary: (scenes: number) => string },
    where: SceneWhere,
    change: ReviewChange,
    now: number,
  ): ReviewAction | null {
    return this.db.transaction((): ReviewAction | null => {
      if (where.params['search'] !== undefined) indexPendingSearchRows(this.db);
      const a = { action: action.id, characterId: action.characterId, now };
      this.db
        .prepare(
          `INSERT INTO review_actions (id, character_id, summary, scenes, created_at) VALUES (@action, @characterId, '', 0, @now)`,
        )
        .run(a);
      const scenes = this.db
        .prepare(
          `INSERT INTO review_action_scenes (action_id, scene_id, review_status, rating, reviewed_at)
           SELECT @action, id, review_status, rating, reviewed_at FROM scenes WHERE ${where.sql}`,
        )
        .run({ ...where.params, action: action.id }).changes;
      if (scenes === 0) {
        this.db.prepare('DELETE FROM review_actions WHERE id = ?').run(action.id);
        return null;
      }
      const selected = 'SELECT scene_id FROM review_action_scenes WHERE action_id = @action';
      this.db
        .prepare(
          `UPDATE scenes SET review_status = coalesce(@status, review_status),
             rating = CASE WHEN @setRating THEN @rating ELSE rating END, reviewed_at = @now
           WHERE id IN (${selected})`,
        )
        .run({
          ...a,
          status: change.status ?? null,
          setRating: change.rating === undefined ? 0 : 1,
          rating: change.rating ?? null,
        });
      for (const tag of change.addTags ?? []) {
        this.db
          .prepare(
            `INSERT INTO review_action_tags (action_id, scene_id, tag, added)
             SELECT @action, scene_id, @tag, 1 FROM review_action_scenes r
             WHERE action_id = @action AND NOT EXISTS (SELECT 1 FROM scene_tags t WHERE t.scene_id = r.scene_id AND t.tag = @tag)`,
          )
          .run({ action: action.id, tag });
        this.db
          .prepare(
            `INSERT INTO scene_tags (scene_id, character_id, tag)
             SELECT scene_id, @characterId, tag FROM review_action_tags WHERE action_id = @action AND tag = @tag AND added = 1`,
          )
          .run({ ...a, tag });
      }
      for (const tag of change.removeTags ?? []) {
        this.db
          .prepare(
            `INSERT INTO review_action_tags (action_id, scene_id, tag, added)
             SELECT @action, t.scene_id, @tag, 0 FROM scene_tags t
             WHERE t.tag = @tag AND t.scene_id IN (${selected})`,
          )
          .run({ action: action.id, tag });
        this.db
          .prepare(
            `DELETE FROM scene_tags WHERE tag = @tag
               AND scene_id IN (SELECT scene_id FROM review_action_tags WHERE action_id = @action AND tag = @tag AND added = 0)`,
          )
          .run({ action: action.id, tag });
      }
      const summary = action.summary(scenes);
      this.db.prepare('UPDATE review_actions SET summary = ?, scenes = ? WHERE id = ?').run(summary, scenes, action.id);
      // Only the latest actions stay undoable; their per-scene rows go with them (ON DELETE CASCADE).
      this.db
        .prepare(
          `DELETE FROM review_actions WHERE character_id = @characterId AND id NOT IN
             (SELECT id FROM review_actions WHERE character_id = @characterId ORDER BY created_at DESC, rowid DESC LIMIT ${KEEP_ACTIONS})`,
        )
        .run(a);
      return { id: action.id, summary, scenes, createdAt: now };
    })();
  }

  /** The character's latest action not undone yet. */
  lastAction(characterId: CharacterId): ReviewAction | null {
    const row = this.db
      .prepare(
        `SELECT id, summary, scenes, created_at FROM review_actions WHERE character_id = ? AND undone_at IS NULL
         ORDER BY created_at DESC, rowid DESC LIMIT 1`,
      )
      .get(characterId) as ActionRow | undefined;
    return row ? { id: row.id, summary: row.summary, scenes: row.scenes, createdAt: row.created_at } : null;
  }

  /**
   * Puts the scenes of action `id` back as they were before it: status, rating, review time and
   * the tags it added or removed. Scenes deleted since are skipped.
   */
  undo(id: string, now: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE scenes SET review_status = r.review_status, rating = r.rating, reviewed_at = r.reviewed_at
           FROM review_action_scenes r WHERE r.action_id = ? AND r.scene_id = scenes.id`,
        )
        .run(id);
      this.db
        .prepare(
          `DELETE FROM scene_tags WHERE (scene_id, tag) IN
             (SELECT scene_id, tag FROM review_action_tags WHERE action_id = ? AND added = 1)`,
        )
        .run(id);
      this.db
        .prepare(
          `INSERT OR IGNORE INTO scene_tags (scene_id, character_id, tag)
           SELECT t.scene_id, s.character_id, t.tag FROM review_action_tags t JOIN scenes s ON s.id = t.scene_id
           WHERE t.action_id = ? AND t.added = 0`,
        )
        .run(id);
      this.db.prepare('UPDATE review_actions SET undone_at = ? WHERE id = ?').run(now, id);
    })();
  }

  /** The scenes action `id` changed, at most `limit` of them. */
  actionSceneIds(id: string, limit: number): SceneId[] {
    return this.db
      .prepare('SELECT scene_id FROM review_action_scenes WHERE action_id = ? LIMIT ?')
      .pluck()
      .all(id, limit) as SceneId[];
  }

  /** Deletes the character's scenes named by `ids` (experiences, figures and tags go with them). */
  deleteScenes(characterId: CharacterId, ids: readonly SceneId[]): number {
    const where = ReviewRepo.idsWhere(characterId, ids);
    return this.db.prepare(`DELETE FROM scenes WHERE ${where.sql}`).run(where.params).changes;
  }
}
