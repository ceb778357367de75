import type { Turn, TurnKind } from '../../common/contract';
import { isSpaceCode } from '../../common/white-space';
import type { Db } from './database';

/**
 * Lower edges (in words) of the words-per-turn buckets stored per experience (migration 015):
 * bucket 0 holds empty turns, bucket i (1…length) turns of at least `WORDS_PER_TURN_EDGES[i - 1]`
 * words and fewer than the next edge; the last bucket is open-ended. Stored data depends on them:
 * changing them needs a migration that recounts `scene_turn_lengths`.
 */
export const WORDS_PER_TURN_EDGES: readonly number[] = [1, 10, 20, 30, 40, 60, 80, 100, 150, 200, 300, 500];

/** One experience's turns by one speaker (trimmed) of one kind. */
export interface SpeakerFigure {
  speaker: string;
  kind: TurnKind;
  turns: number;
  words: number;
}

export interface TurnFigures {
  /** Words of every turn's text (`wordCount`), all speakers together. */
  words: number;
  speakers: SpeakerFigure[];
  /** Turns per words-per-turn bucket (see WORDS_PER_TURN_EDGES); buckets with none are absent. */
  lengths: Map<number, number>;
}

/**
 * Whitespace-separated words of a text: the one word count of every stored figure. Counts runs of
 * characters outside JavaScript's `\s` (what `text.split(/\s+/).filter(Boolean).length` counts)
 * without building the array of words: a job counts every turn's words as it writes it.
 */
export function wordCount(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpaceCode(text.charCodeAt(i));
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}

/** The bucket of a turn of `words` words. */
export function wordsBucket(words: number): number {
  let bucket = 0;
  while (bucket < WORDS_PER_TURN_EDGES.length && words >= WORDS_PER_TURN_EDGES[bucket]!) bucket++;
  return bucket;
}

export function turnFigures(turns: readonly Turn[]): TurnFigures {
  const speakers = new Map<string, SpeakerFigure>();
  const lengths = new Map<number, number>();
  let total = 0;
  for (const turn of turns) {
    const words = wordCount(turn.text);
    total += words;
    const speaker = turn.speaker.trim();
    // The key is exact: the table's primary key is (scene, speaker, kind) as written.
    const key = `${turn.kind}\u0000${speaker}`;
    const figure = speakers.get(key) ?? { speaker, kind: turn.kind, turns: 0, words: 0 };
    figure.turns++;
    figure.words += words;
    speakers.set(key, figure);
    const bucket = wordsBucket(words);
    lengths.set(bucket, (lengths.get(bucket) ?? 0) + 1);
  }
  return { words: total, speakers: [...speakers.values()], lengths };
}

/**
 * Replaces a scene's stored turn figures (`turnFigures` of its experience's turns). Runs inside the
 * caller's transaction; the experience row must exist. `replace: false` says the scene had no
 * experience before this write, so it has no rows to delete (they go with their experience). Each
 * table gets one statement (the rows as a JSON array): a statement per row cost a generation job
 * more than the experience's own row.
 */
export function storeTurnFigures(
  db: Db,
  sceneId: string,
  characterId: string,
  figures: TurnFigures,
  replace = true,
): void {
  if (replace) {
    db.prepare('DELETE FROM experience_speakers WHERE scene_id = ?').run(sceneId);
    db.prepare('DELETE FROM scene_turn_lengths WHERE scene_id = ?').run(sceneId);
  }
  if (figures.speakers.length > 0) {
    db.prepare(
      `INSERT INTO experience_speakers (scene_id, character_id, speaker, kind, turns, words)
       SELECT ?, ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)`,
    ).run(sceneId, characterId, JSON.stringify(figures.speakers.map((f) => [f.speaker, f.kind, f.turns, f.words])));
  }
  if (figures.lengths.size > 0) {
    db.prepare(
      `INSERT INTO scene_turn_lengths (scene_id, character_id, bucket, turns)
       SELECT ?, ?, value ->> 0, value ->> 1 FROM json_each(?)`,
    ).run(sceneId, characterId, JSON.stringify([...figures.lengths]));
  }
}

/**
 * The turn figures of every stored experience (migration 015), or with `missing`, of those that
 * have none (migration 025: imports before it stored none). A write-time pass, never part of a read.
 */
export function backfillTurnFigures(db: Db, missing = false): void {
  const rows = db
    .prepare(
      `SELECT s.id, s.character_id, e.turns FROM experiences e JOIN scenes s ON s.id = e.scene_id
       ${missing ? 'WHERE NOT EXISTS (SELECT 1 FROM scene_turn_lengths l WHERE l.scene_id = e.scene_id)' : ''}`,
    )
    .all() as { id: string; character_id: string; turns: string }[];
  for (const row of rows) storeTurnFigures(db, row.id, row.character_id, turnFigures(JSON.parse(row.turns) as Turn[]));
}
