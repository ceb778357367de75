import type { Character, CharacterDraft, CharacterId } from '../../common/contract';
import type { Db } from './database';
import { recountSceneFigures } from './scene-figures';

interface CharacterRow {
  id: string;
  full_name: string;
  short_name: string;
  era: string;
  notes: string;
  created_at: number;
  updated_at: number;
  profile_count: number;
  chunk_count: number;
  word_count: number;
  scene_count: number;
  has_image: number;
}

const SELECT = `
  SELECT c.*,
    (SELECT count(*) FROM profiles p WHERE p.character_id = c.id) AS profile_count,
    (SELECT count(*) FROM chunks k JOIN profiles p ON p.id = k.profile_id WHERE p.character_id = c.id) AS chunk_count,
    (SELECT coalesce(sum(k.words), 0) FROM chunks k JOIN profiles p ON p.id = k.profile_id WHERE p.character_id = c.id) AS word_count,
    (SELECT coalesce(sum(s.n), 0) FROM character_scene_counts s WHERE s.character_id = c.id) AS scene_count,
    EXISTS (SELECT 1 FROM character_images i WHERE i.character_id = c.id) AS has_image
  FROM characters c`;

export class CharactersRepo {
  constructor(private readonly db: Db) {}

  list(): Character[] {
    const rows = this.db.prepare(`${SELECT} ORDER BY c.full_name COLLATE NOCASE`).all() as CharacterRow[];
    return rows.map(toCharacter);
  }

  get(id: CharacterId): Character | undefined {
    const row = this.db.prepare(`${SELECT} WHERE c.id = ?`).get(id) as CharacterRow | undefined;
    return row && toCharacter(row);
  }

  findByFullName(fullName: string): Character | undefined {
    const row = this.db.prepare(`${SELECT} WHERE c.full_name = ? COLLATE NOCASE`).get(fullName) as
      CharacterRow | undefined;
    return row && toCharacter(row);
  }

  insert(id: CharacterId, draft: CharacterDraft, now: number): void {
    this.db
      .prepare(
        `INSERT INTO characters (id, full_name, short_name, era, notes, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, draft.fullName, draft.shortName, draft.era, draft.notes, now, now);
  }

  /**
   * Saves the character; when its names change, its scenes' stored count of other speakers'
   * thinking turns is recounted in the same transaction (it depends on who the character is).
   */
  update(id: CharacterId, draft: CharacterDraft, now: number): void {
    this.db.transaction(() => {
      const before = this.db.prepare('SELECT full_name, short_name FROM characters WHERE id = ?').get(id) as
        { full_name: string; short_name: string } | undefined;
      this.db
        .prepare(`UPDATE characters SET full_name = ?, short_name = ?, era = ?, notes = ?, updated_at = ? WHERE id = ?`)
        .run(draft.fullName, draft.shortName, draft.era, draft.notes, now, id);
      if (before && (before.full_name !== draft.fullName || before.short_name !== draft.shortName))
        recountSceneFigures(this.db, id);
    })();
  }

  /** The character's picture, or undefined when it has none. */
  image(id: CharacterId): { mime: string; bytes: Buffer } | undefined {
    return this.db.prepare('SELECT mime, bytes FROM character_images WHERE character_id = ?').get(id) as
      { mime: string; bytes: Buffer } | undefined;
  }

  setImage(id: CharacterId, image: { mime: string; bytes: Buffer }, now: number): void {
    this.db
      .prepare(
        `INSERT INTO character_images (character_id, mime, bytes, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (character_id) DO UPDATE SET mime = excluded.mime, bytes = excluded.bytes, updated_at = excluded.updated_at`,
      )
      .run(id, image.mime, image.bytes, now);
  }

  delete(id: CharacterId): boolean {
    return this.db.prepare('DELETE FROM characters WHERE id = ?').run(id).changes > 0;
  }
}

function toCharacter(row: CharacterRow): Character {
  return {
    id: row.id as CharacterId,
    fullName: row.full_name,
    shortName: row.short_name,
    era: row.era,
    notes: row.notes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    profileCount: row.profile_count,
    chunkCount: row.chunk_count,
    wordCount: row.word_count,
    sceneCount: row.scene_count,
    hasImage: row.has_image === 1,
  };
}
