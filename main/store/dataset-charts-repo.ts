import type { CharacterFigures, CharacterId, ChunkCoverage, TurnKind } from '../../common/contract';
import type { Db } from './database';

/** A value and how many scenes (or turns) have it: a distribution grouped in SQL, small enough to re-bin. */
export interface ValueCount {
  value: number;
  count: number;
}

/** Scenes whose figure divided by the width floors to `value`, with the figure's exact sum and max among them. */
export interface FigureGroup extends ValueCount {
  sum: number;
  max: number;
}

/** Scenes of one kind (normal or protective) grouped by whether they have their experience and were rejected. */
export interface StageGroup {
  protective: boolean;
  hasExperience: boolean;
  rejected: boolean;
  scenes: number;
}

/** A chunk's coverage as read, before the charts number the chunks across profiles. */
export type ChunkRow = Omit<ChunkCoverage, 'number'>;

export interface SpeakerRow {
  speaker: string;
  kind: TurnKind;
  turns: number;
  words: number;
}

/** One character's totals as stored; the service adds the averages. */
export type CharacterTotals = Omit<CharacterFigures, 'avgTurnsPerScene' | 'avgWordsPerScene'>;

/**
 * The Statistics view's queries: aggregates over the figures kept on write (migrations 009 and
 * 016) and their covering indexes; no query reads an experience's text.
 */
export class DatasetChartsRepo {
  constructor(private readonly db: Db) {}

  stages(characterId: CharacterId): StageGroup[] {
    // Counted by group in each index's own order (scenes_figures for all, scenes_review for the
    // rejected range), which SQLite does far faster than one grouping over an expression.
    const all = this.db
      .prepare(
        `SELECT protective, has_experience AS has, count(*) AS n FROM scenes WHERE character_id = ?
         GROUP BY protective, has_experience`,
      )
      .all(characterId) as { protective: number; has: number; n: number }[];
    // Named: without statistics the planner prefers scenes_figures for the grouping and reads every
    // scene's row for its status (300 ms at 100,000 scenes instead of a range of the rejected ones).
    const rejected = this.db
      .prepare(
        `SELECT protective, has_experience AS has, count(*) AS n FROM scenes INDEXED BY scenes_review
         WHERE character_id = ? AND review_status = 'rejected' GROUP BY protective, has_experience`,
      )
      .all(characterId) as { protective: number; has: number; n: number }[];
    const groups: StageGroup[] = [];
    for (const group of all) {
      const out = rejected.find((r) => r.protective === group.protective && r.has === group.has)?.n ?? 0;
      const base = { protective: group.protective === 1, hasExperience: group.has === 1 };
      if (group.n > out) groups.push({ ...base, rejected: false, scenes: group.n - out });
      if (out > 0) groups.push({ ...base, rejected: true, scenes: out });
    }
    return groups;
  }

  /**
   * Scenes with an experience by `figure` divided by `width` (floored): the distribution of turns
   * per scene or of training characters per example, at a resolution the caller re-bins.
   */
  distribution(characterId: CharacterId, figure: 'turn_count' | 'train_chars', width: number): FigureGroup[] {
    // scenes_figures covers the figures: one index range of the character, grouped in a temporary b-tree.
    return this.db
      .prepare(
        `SELECT ${figure} / @width AS value, count(*) AS count, sum(${figure}) AS sum, max(${figure}) AS max
         FROM scenes WHERE character_id = @characterId AND has_experience = 1 GROUP BY value ORDER BY value`,
      )
      .all({ characterId, width: Math.max(1, Math.floor(width)) }) as FigureGroup[];
  }

  /** Turns per stored words-per-turn bucket (turn-figures.ts), every experience of the character (kept per character on write). */
  turnLengths(characterId: CharacterId): ValueCount[] {
    return this.db
      .prepare(
        'SELECT bucket AS value, turns AS count FROM character_turn_lengths WHERE character_id = ? ORDER BY bucket',
      )
      .all(characterId) as ValueCount[];
  }

  /** Turns and words by speaker (any ASCII case: one row) and kind, kept per character on write. */
  speakers(characterId: CharacterId): SpeakerRow[] {
    return this.db
      .prepare('SELECT speaker, kind, turns, words FROM character_speakers WHERE character_id = ?')
      .all(characterId) as SpeakerRow[];
  }

  /** Every chunk of the character's profiles in reading order, with the scenes made from it. */
  chunks(characterId: CharacterId): ChunkRow[] {
    const chunks = this.db
      .prepare(
        `SELECT ch.id AS chunkId, p.title AS profileTitle, substr(ch.text, 1, 160) AS head, ch.words
         FROM profiles p JOIN chunks ch ON ch.profile_id = p.id WHERE p.character_id = ?
         ORDER BY p.created_at, p.id, ch.position`,
      )
      .all(characterId) as Omit<ChunkRow, 'scenes' | 'experiences' | 'protective'>[];
    // One range of scenes_chunk per chunk, counted by group in the index's order.
    const counts = this.db.prepare(
      `SELECT protective, has_experience AS has, count(*) AS n FROM scenes WHERE chunk_id = ?
       GROUP BY protective, has_experience`,
    );
    return chunks.map((chunk) => {
      const row: ChunkRow = { ...chunk, scenes: 0, experiences: 0, protective: 0 };
      for (const g of counts.all(chunk.chunkId) as { protective: number; has: number; n: number }[]) {
        if (g.protective) row.protective += g.n;
        else row.scenes += g.n;
        if (!g.protective && g.has) row.experiences += g.n;
      }
      return row;
    });
  }

  /** Scenes whose chunk is one of the character's: the rest have none (deleted, or written by hand). */
  /** The character's scenes that came from one of its chunks, normal and protective. */
  scenesWithChunk(characterId: CharacterId): { normal: number; protective: number } {
    const rows = this.db
      .prepare(
        `SELECT s.protective != 0 AS protective, count(*) AS n
         FROM scenes s JOIN chunks ch ON ch.id = s.chunk_id JOIN profiles p ON p.id = ch.profile_id
         WHERE p.character_id = ? GROUP BY s.protective != 0`,
      )
      .all(characterId) as { protective: number; n: number }[];
    const of = (protective: number) => rows.find((r) => r.protective === protective)?.n ?? 0;
    return { normal: of(0), protective: of(1) };
  }

  /** Every character with its profile and dataset totals, by name. */
  characterTotals(): CharacterTotals[] {
    return this.db
      .prepare(
        `WITH figures AS (
           SELECT character_id, count(*) AS scenes, sum(protective) AS protective, sum(has_experience) AS experiences,
             sum(turn_count) AS turns, sum(word_count) AS words
           FROM scenes GROUP BY character_id),
         profile AS (
           SELECT p.character_id, count(*) AS chunks, sum(ch.words) AS words
           FROM profiles p JOIN chunks ch ON ch.profile_id = p.id GROUP BY p.character_id)
         SELECT c.id AS characterId, c.full_name AS fullName, c.short_name AS shortName,
           coalesce(profile.chunks, 0) AS chunks, coalesce(profile.words, 0) AS profileWords,
           coalesce(f.scenes, 0) AS scenes, coalesce(f.protective, 0) AS protectiveScenes,
           coalesce(f.experiences, 0) AS experiences, coalesce(f.turns, 0) AS turns, coalesce(f.words, 0) AS words
         FROM characters c LEFT JOIN figures f ON f.character_id = c.id LEFT JOIN profile ON profile.character_id = c.id
         ORDER BY c.full_name COLLATE NOCASE`,
      )
      .all() as CharacterTotals[];
  }
}
