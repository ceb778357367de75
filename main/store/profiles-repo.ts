import type {
  CharacterId,
  Chunk,
  ChunkId,
  Profile,
  ProfileFormat,
  ProfileId,
  ProfileProvenance,
} from '../../common/contract';
import { headingOf } from '../../common/headings';
import type { Db } from './database';

interface ProfileRow {
  id: string;
  character_id: string;
  title: string;
  source_name: string | null;
  format: ProfileFormat;
  created_at: number;
  updated_at: number;
  source_kind: ProfileProvenance['kind'] | null;
  source_url: string | null;
  source_revision: string | null;
  source_licence: string | null;
  source_licence_url: string | null;
  source_author: string | null;
  retrieved_at: number | null;
}

interface ChunkRow {
  id: string;
  profile_id: string;
  position: number;
  text: string;
  words: number;
}

export interface NewChunk {
  id: ChunkId;
  text: string;
  words: number;
}

export class ProfilesRepo {
  constructor(private readonly db: Db) {}

  listForCharacter(characterId: CharacterId): Profile[] {
    const rows = this.db
      .prepare('SELECT * FROM profiles WHERE character_id = ? ORDER BY created_at, rowid')
      .all(characterId) as ProfileRow[];
    return rows.map((row) => this.withChunks(row));
  }

  /**
   * The texts of the character's chunks, in the order `listForCharacter` holds them (profiles by
   * creation, chunks by position), read one row at a time as the caller asks: a caller that needs
   * only the first words (a prompt's profile excerpt) stops without reading the rest.
   */
  *chunkTexts(characterId: CharacterId): Generator<string, void, undefined> {
    yield* this.db
      .prepare(
        `SELECT c.text FROM profiles p JOIN chunks c ON c.profile_id = p.id WHERE p.character_id = ?
         ORDER BY p.created_at, p.rowid, c.position`,
      )
      .pluck()
      .iterate(characterId) as IterableIterator<string>;
  }

  get(id: ProfileId): Profile | undefined {
    const row = this.db.prepare('SELECT * FROM profiles WHERE id = ?').get(id) as ProfileRow | undefined;
    return row && this.withChunks(row);
  }

  titleExists(characterId: CharacterId, title: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM profiles WHERE character_id = ? AND title = ? COLLATE NOCASE')
        .get(characterId, title) !== undefined
    );
  }

  /** Every title the character's profiles have, for picking a free one. */
  titles(characterId: CharacterId): string[] {
    return this.db.prepare('SELECT title FROM profiles WHERE character_id = ?').pluck().all(characterId) as string[];
  }

  insert(
    profile: {
      id: ProfileId;
      characterId: CharacterId;
      title: string;
      sourceName: string | null;
      format: ProfileFormat;
      provenance?: ProfileProvenance | null;
    },
    chunks: readonly NewChunk[],
    now: number,
  ): void {
    const p = profile.provenance ?? null;
    this.db
      .prepare(
        `INSERT INTO profiles (id, character_id, title, source_name, format, created_at, updated_at,
           source_kind, source_url, source_revision, source_licence, source_licence_url, source_author, retrieved_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        profile.id,
        profile.characterId,
        profile.title,
        profile.sourceName,
        profile.format,
        now,
        now,
        p?.kind ?? null,
        p?.url ?? null,
        p?.revision ?? null,
        p?.licence ?? null,
        p?.licenceUrl ?? null,
        p?.author ?? null,
        p?.retrievedAt ?? null,
      );
    this.insertChunks(profile.id, chunks, 0, now);
  }

  rename(id: ProfileId, title: string, now: number): void {
    this.db.prepare('UPDATE profiles SET title = ?, updated_at = ? WHERE id = ?').run(title, now, id);
  }

  delete(id: ProfileId): boolean {
    return this.db.prepare('DELETE FROM profiles WHERE id = ?').run(id).changes > 0;
  }

  chunk(id: ChunkId): Chunk | undefined {
    const row = this.db.prepare('SELECT * FROM chunks WHERE id = ?').get(id) as ChunkRow | undefined;
    return row && toChunk(row);
  }

  /** A chunk's text alone (what a prompt shows of it), if the chunk still exists. */
  chunkText(id: ChunkId): string | undefined {
    return this.db.prepare('SELECT text FROM chunks WHERE id = ?').pluck().get(id) as string | undefined;
  }

  /** The chunk right after `chunk` in its profile, if any. */
  nextChunk(chunk: Chunk): Chunk | undefined {
    const row = this.db
      .prepare('SELECT * FROM chunks WHERE profile_id = ? AND position > ? ORDER BY position LIMIT 1')
      .get(chunk.profileId, chunk.position) as ChunkRow | undefined;
    return row && toChunk(row);
  }

  updateChunkText(id: ChunkId, text: string, words: number, now: number): void {
    this.db.prepare('UPDATE chunks SET text = ?, words = ?, updated_at = ? WHERE id = ?').run(text, words, now, id);
  }

  deleteChunk(id: ChunkId): void {
    this.db.prepare('DELETE FROM chunks WHERE id = ?').run(id);
  }

  /**
   * Writes chunks of a profile whose row does not exist yet ("staged"), in one short transaction.
   * A staged chunk reaches no query: every read of chunks goes through the profile that owns
   * them, and that row is written last (`insert` with no chunks). So a big import is written in many short
   * transactions, other requests are answered between them, and it still appears whole or not at
   * all. Foreign keys are off for this call only: it is synchronous, so nothing else runs on this
   * connection meanwhile (and the pragma cannot change inside a transaction, so none is open).
   */
  stageChunks(profileId: ProfileId, chunks: readonly NewChunk[], position: number, now: number): void {
    this.db.pragma('foreign_keys = OFF');
    try {
      this.db.transaction(() => {
        const insert = this.db.prepare(
          `INSERT INTO chunks (id, profile_id, position, text, words, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        );
        chunks.forEach((chunk, index) =>
          insert.run(chunk.id, profileId, position + index, chunk.text, chunk.words, now, now),
        );
      })();
    } finally {
      this.db.pragma('foreign_keys = ON');
    }
  }

  /** Chunks staged for (or owned by) the profile: what `stageChunks` wrote. */
  stagedCount(profileId: ProfileId): number {
    return this.db.prepare('SELECT count(*) FROM chunks WHERE profile_id = ?').pluck().get(profileId) as number;
  }

  /** Removes the chunks staged for a profile whose row was never written (an import that failed). */
  dropStaged(profileId: ProfileId): void {
    if (this.get(profileId)) return;
    this.db.prepare('DELETE FROM chunks WHERE profile_id = ?').run(profileId);
  }

  /**
   * Removes chunks staged before `before` (Unix ms) whose profile was never written: an import cut
   * short by a crash. Younger ones may belong to an import running now, here or in another process.
   * Reads the chunks' profile index, not their text. Returns how many chunks went.
   */
  deleteAbandoned(before: number): number {
    const orphans = this.db
      .prepare(
        `SELECT c.profile_id FROM (SELECT DISTINCT profile_id FROM chunks) c
         WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = c.profile_id)`,
      )
      .pluck()
      .all() as string[];
    const drop = this.db.prepare('DELETE FROM chunks WHERE profile_id = ? AND created_at < ?');
    return orphans.reduce((n, profileId) => n + drop.run(profileId, before).changes, 0);
  }

  /** Inserts chunks at `position`, shifting later ones down. */
  insertChunks(profileId: ProfileId, chunks: readonly NewChunk[], position: number, now: number): void {
    if (chunks.length === 0) return;
    this.db
      .prepare('UPDATE chunks SET position = position + ? WHERE profile_id = ? AND position >= ?')
      .run(chunks.length, profileId, position);
    const insert = this.db.prepare(
      `INSERT INTO chunks (id, profile_id, position, text, words, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    chunks.forEach((chunk, index) =>
      insert.run(chunk.id, profileId, position + index, chunk.text, chunk.words, now, now),
    );
  }

  /** Rewrites positions as 0..n-1 after deletions. */
  renumber(profileId: ProfileId): void {
    const ids = this.db
      .prepare('SELECT id FROM chunks WHERE profile_id = ? ORDER BY position')
      .pluck()
      .all(profileId) as string[];
    const set = this.db.prepare('UPDATE chunks SET position = ? WHERE id = ?');
    ids.forEach((id, index) => set.run(index, id));
  }

  touch(id: ProfileId, now: number): void {
    this.db.prepare('UPDATE profiles SET updated_at = ? WHERE id = ?').run(now, id);
  }

  private withChunks(row: ProfileRow): Profile {
    const chunks = (
      this.db.prepare('SELECT * FROM chunks WHERE profile_id = ? ORDER BY position').all(row.id) as ChunkRow[]
    ).map(toChunk);
    return {
      id: row.id as ProfileId,
      characterId: row.character_id as CharacterId,
      title: row.title,
      sourceName: row.source_name,
      format: row.format,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      words: chunks.reduce((sum, chunk) => sum + chunk.words, 0),
      chunks,
      provenance: row.source_kind
        ? {
            kind: row.source_kind,
            url: row.source_url,
            revision: row.source_revision,
            licence: row.source_licence,
            licenceUrl: row.source_licence_url,
            author: row.source_author,
            retrievedAt: row.retrieved_at ?? row.created_at,
          }
        : null,
    };
  }
}

function toChunk(row: ChunkRow): Chunk {
  return {
    id: row.id as ChunkId,
    profileId: row.profile_id as ProfileId,
    position: row.position,
    heading: headingOf(row.text),
    text: row.text,
    words: row.words,
  };
}
