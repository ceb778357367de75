import type { CharacterId } from '../../common/contract';
import type { Db } from './database';

/**
 * Preferences that outlive a window and hold for every door: studio-wide values by key, and the
 * settings each character's last generation run used. Values are JSON; callers own their shape.
 */
export class PreferencesRepo {
  constructor(private readonly db: Db) {}

  get(key: string): unknown {
    const value = this.db.prepare('SELECT value FROM preferences WHERE key = ?').pluck().get(key) as string | undefined;
    return value === undefined ? undefined : JSON.parse(value);
  }

  set(key: string, value: unknown, now: number): void {
    this.db
      .prepare(
        `INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, JSON.stringify(value), now);
  }

  generationSettings(characterId: CharacterId): unknown {
    const value = this.db
      .prepare('SELECT settings FROM generation_preferences WHERE character_id = ?')
      .pluck()
      .get(characterId) as string | undefined;
    return value === undefined ? undefined : JSON.parse(value);
  }

  saveGenerationSettings(characterId: CharacterId, settings: unknown, now: number): void {
    this.db
      .prepare(
        `INSERT INTO generation_preferences (character_id, settings, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (character_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
      )
      .run(characterId, JSON.stringify(settings), now);
  }
}
