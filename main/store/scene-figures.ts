import type { FormatProblem, FormatProblemCode, Turn } from '../../common/contract';
import type { Db } from './database';
import { storeTurnFigures, turnFigures, type TurnFigures } from './turn-figures';

/**
 * What the statistics, the training estimate and the scene list need of one scene's experience,
 * computed once when the experience is written and stored on the scene (migration 009), so no
 * request has to parse experiences again.
 */
export interface SceneFigures {
  turns: number;
  /** Whitespace-separated words of every turn's text. */
  words: number;
  /** The scene's length as a training example, in characters (about 4 a token). */
  trainChars: number;
  problems: number;
  /** Thinking turns by someone other than the character: the training export leaves them out. */
  otherThinking: number;
  problemsByCode: Partial<Record<FormatProblemCode, number>>;
}

/** The character's names as the training export matches speakers (trimmed, any case, short or full). */
export interface CharacterNames {
  fullName: string;
  shortName: string;
}

/**
 * Characters a scene takes in the training file: every turn with its speaker and a label's worth of
 * markup (16), the scene's background, and the prompt around it (600).
 */
export function trainingChars(sceneBackground: string, turns: readonly Turn[]): number {
  return turns.reduce((n, t) => n + t.text.length + t.speaker.length + 16, 0) + sceneBackground.length + 600;
}

/** Thinking turns (with text) whose speaker is not the character, by the export's rule (dataset-export.ts). */
export function otherThinkingTurns(turns: readonly Turn[], names: CharacterNames): number {
  const aliases = new Set([names.shortName.trim().toLowerCase(), names.fullName.trim().toLowerCase()]);
  return turns.filter(
    (t) => t.kind === 'thinking' && t.text.trim() !== '' && !aliases.has(t.speaker.trim().toLowerCase()),
  ).length;
}

/**
 * The figures of an experience with `turns`. `perTurn`: the same turns' `turnFigures`, when the
 * caller stores them too (its word count is this one's: each turn's words are counted once).
 */
export function sceneFigures(
  sceneBackground: string,
  turns: readonly Turn[],
  problems: readonly FormatProblem[],
  names: CharacterNames,
  perTurn: Pick<TurnFigures, 'words'> = turnFigures(turns),
): SceneFigures {
  const problemsByCode: Partial<Record<FormatProblemCode, number>> = {};
  for (const p of problems) problemsByCode[p.code] = (problemsByCode[p.code] ?? 0) + 1;
  return {
    turns: turns.length,
    words: perTurn.words,
    trainChars: trainingChars(sceneBackground, turns),
    problems: problems.length,
    otherThinking: otherThinkingTurns(turns, names),
    problemsByCode,
  };
}

/**
 * Stores an experience's figures on its scene and its problems by code, for the recount
 * (`recountSceneFigures`). Runs inside the caller's transaction. It sets the figures alone, as
 * migration 009's backfill runs it against that migration's `scenes` (no revision, no model yet);
 * a written experience sets them with its revision and model in one UPDATE (`writeExperience`).
 */
export function storeSceneFigures(db: Db, sceneId: string, characterId: string, figures: SceneFigures): void {
  db.prepare(
    `UPDATE scenes SET has_experience = 1, turn_count = ?, word_count = ?, train_chars = ?, problem_count = ?,
       other_thinking = ? WHERE id = ?`,
  ).run(figures.turns, figures.words, figures.trainChars, figures.problems, figures.otherThinking, sceneId);
  storeProblemCounts(db, sceneId, characterId, figures, true);
}

/** Replaces a scene's problem counts; `replace: false` says it had none (no experience before). */
function storeProblemCounts(
  db: Db,
  sceneId: string,
  characterId: string,
  figures: SceneFigures,
  replace: boolean,
): void {
  if (replace) db.prepare('DELETE FROM scene_problem_counts WHERE scene_id = ?').run(sceneId);
  const insert = db.prepare(
    'INSERT INTO scene_problem_counts (scene_id, character_id, code, count) VALUES (?, ?, ?, ?)',
  );
  for (const [code, count] of Object.entries(figures.problemsByCode)) insert.run(sceneId, characterId, code, count);
}

interface ExperienceRow {
  scene_id: string;
  character_id: string;
  background: string;
  turns: string;
  problems: string;
  full_name: string;
  short_name: string;
}

/**
 * Recounts the stored figures of every experience (of one character, or all): migration 009's
 * backfill, and the recount after a character's names change (the other-thinking count depends on
 * them). A write-time pass, never part of answering a read.
 */
export function recountSceneFigures(db: Db, characterId?: string): void {
  const rows = db
    .prepare(
      `SELECT s.id AS scene_id, s.character_id, s.background, e.turns, e.problems, c.full_name, c.short_name
       FROM experiences e JOIN scenes s ON s.id = e.scene_id JOIN characters c ON c.id = s.character_id
       WHERE ? IS NULL OR s.character_id = ?`,
    )
    .iterate(characterId ?? null, characterId ?? null) as IterableIterator<ExperienceRow>;
  // Read fully before writing: better-sqlite3 refuses writes while an iterator is open on the connection.
  const pending: [string, string, SceneFigures][] = [];
  for (const row of rows) {
    const figures = sceneFigures(
      row.background,
      JSON.parse(row.turns) as Turn[],
      JSON.parse(row.problems) as FormatProblem[],
      { fullName: row.full_name, shortName: row.short_name },
    );
    pending.push([row.scene_id, row.character_id, figures]);
  }
  for (const [sceneId, owner, figures] of pending) storeSceneFigures(db, sceneId, owner, figures);
}

/** An experience as stored: `callId` the LLM call that wrote it (null when a person did). */
export interface StoredExperience {
  background: string;
  turns: readonly Turn[];
  callId: string | null;
  promptVersion: string;
  problems: readonly FormatProblem[];
}

/**
 * Writes (or replaces) a scene's experience and the figures stored with it: the one write path of
 * generation jobs and the scene editor, so the statistics stay right whoever writes. Runs inside the
 * caller's transaction. The scene's revision moves on by `revisionStep` (0: the caller decides).
 * Returns false when the scene does not exist.
 *
 * The scene's row is written once, by one UPDATE: its figures, the model of the call that wrote
 * the experience (a person's experience leaves the model as it was) and its revision. Each UPDATE
 * of the row rewrites it and the index entries of the columns it sets.
 */
export function writeExperience(
  db: Db,
  sceneId: string,
  experience: StoredExperience,
  now: number,
  revisionStep = 0,
): boolean {
  const owner = db
    .prepare(
      `SELECT s.character_id, s.background, c.full_name, c.short_name,
         EXISTS (SELECT 1 FROM experiences WHERE scene_id = s.id) AS had
       FROM scenes s JOIN characters c ON c.id = s.character_id WHERE s.id = ?`,
    )
    .get(sceneId) as
    { character_id: string; background: string; full_name: string; short_name: string; had: number } | undefined;
  db.prepare(
    `INSERT INTO experiences (scene_id, background, turns, call_id, prompt_version, problems, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (scene_id) DO UPDATE SET background = excluded.background, turns = excluded.turns,
       call_id = excluded.call_id, prompt_version = excluded.prompt_version, problems = excluded.problems`,
  ).run(
    sceneId,
    experience.background,
    JSON.stringify(experience.turns),
    experience.callId,
    experience.promptVersion,
    JSON.stringify(experience.problems),
    now,
  );
  // No owner: the INSERT above has already failed on the foreign key.
  if (!owner) return false;
  const perTurn = turnFigures(experience.turns);
  const figures = sceneFigures(
    owner.background,
    experience.turns,
    experience.problems,
    { fullName: owner.full_name, shortName: owner.short_name },
    perTurn,
  );
  db.prepare(
    `UPDATE scenes SET has_experience = 1, turn_count = ?, word_count = ?, train_chars = ?, problem_count = ?,
       other_thinking = ?, revision = revision + ?,
       model = coalesce((SELECT model FROM llm_calls WHERE id = ? ORDER BY attempt DESC LIMIT 1), model)
     WHERE id = ?`,
  ).run(
    figures.turns,
    figures.words,
    figures.trainChars,
    figures.problems,
    figures.otherThinking,
    revisionStep,
    experience.callId,
    sceneId,
  );
  // The per-scene figure rows go with their experience: a first one has none to replace.
  storeProblemCounts(db, sceneId, owner.character_id, figures, owner.had !== 0);
  storeTurnFigures(db, sceneId, owner.character_id, perTurn, owner.had !== 0);
  return true;
}
