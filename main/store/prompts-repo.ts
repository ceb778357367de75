import type { CharacterId, Stage } from '../../common/contract';
import type { Db } from './database';

/**
 * Writes of custom prompts through each connection (see `PromptsRepo.state`): a connection's own
 * commits do not move its `data_version`. Keyed by connection, not kept in a repo, because several
 * repos may share one connection.
 */
const promptEdits = new WeakMap<Db, number>();

/** A character's custom stage prompts (`prompt_versions`): every edit is a new version, the newest counts. */
export class PromptsRepo {
  constructor(private readonly db: Db) {}

  latest(
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

  /**
   * Changes whenever a custom prompt may have been written since: by this connection (counted in
   * `insert`) or by any other (SQLite's `data_version`, which moves with every commit of
   * another connection, another process's included). What a prompt was read as may be kept until then.
   */
  state(): string {
    return `${this.db.prepare('PRAGMA data_version').pluck().get() as number}:${promptEdits.get(this.db) ?? 0}`;
  }

  insert(
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
    promptEdits.set(this.db, (promptEdits.get(this.db) ?? 0) + 1);
  }
}
