/**
 * The studio's scenes as the trainer's `scenes` dataset: JSON lines read by
 * resources/trainer/character_trainer/dataset.py (`parse_scene`), one scene a line:
 *
 *   {"id", "character": {"full_name", "short_name"}, "location", "background",
 *    "turns": [{"speaker", "kind": "speaking"|"thinking"|"action", "text"}], "protective"}
 *
 * `location` is the paper's `loc_time` (the scene's place, and its time when the studio has one);
 * `background` is the paper's `status`: the background paragraph the experience completion wrote.
 * Protective scenes use the paper's fixed `A room` / `<short> is chatting with a person.` (METHOD.md §2).
 * Scenes the trainer would reject are left out with a reason instead of failing the whole export.
 *
 * Turns that do not fit the method (see `FormatProblem`) are kept in the studio's dataset; the
 * export decides by one stated rule:
 * - a thinking turn by anyone but the character is left out of the training file: the method lets
 *   only the character think, the paper's format trains on every turn (the model would learn to
 *   voice other people's thoughts), and the trainer takes a lone thinker for the character when it
 *   reads SFT lines. Each one left out is counted in `notes` and said in `exportNotices`.
 * - every other turn (read as speaking without a label, or of an unknown kind) goes in as stored.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Character, Scene, TurnKind } from '../../../common/contract';
import { nextTurn } from '../time-slices';

export interface TrainerTurn {
  speaker: string;
  kind: TurnKind;
  text: string;
}

/** One line of a `scenes` dataset file. */
export interface TrainerSceneLine {
  id: string;
  character: { full_name: string; short_name: string };
  location: string;
  background: string;
  turns: TrainerTurn[];
  protective: boolean;
}

export interface SkippedScene {
  sceneId: string;
  reason: string;
}

/** What the export did to turns that do not fit the method, for the export report. */
export interface DatasetExportNotes {
  /** Thinking turns by someone other than the character, left out of the file. */
  otherThinkingLeftOut: number;
  /** Scenes that lost at least one such turn. */
  scenesWithOtherThinking: number;
}

export interface DatasetExport {
  lines: TrainerSceneLine[];
  skipped: SkippedScene[];
  notes: DatasetExportNotes;
}

export interface WrittenDataset {
  path: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  scenes: number;
  skipped: SkippedScene[];
  notes: DatasetExportNotes;
}

const TURN_KINDS: readonly TurnKind[] = ['speaking', 'thinking', 'action'];
/** The generator's marker of an answer cut off at the token limit; the trainer refuses such text. */
const NONSTOP = '<|NONSTOP|>';
export const PROTECTIVE_LOCATION = 'A room';

export function protectiveStatus(shortName: string): string {
  return `${shortName} is chatting with a person.`;
}

export class DatasetExportError extends Error {
  override name = 'DatasetExportError';
}

/** The paper's `loc_time`: the place, then the time when the scene has one the place does not already name. */
export function locTime(scene: Pick<Scene, 'location' | 'time'>): string {
  const location = scene.location.trim();
  const time = scene.time.trim();
  if (!time || location.toLowerCase().includes(time.toLowerCase())) return location;
  return location ? `${location}, ${time}` : time;
}

/**
 * One scene as a dataset line, or the reason it cannot be one. Speaker labels that name the
 * character in another case or by full name become the short name: the trainer finds the
 * character's turns by exact match on `short_name`.
 */
export function sceneToTrainerLine(
  scene: Scene,
  character: Pick<Character, 'fullName' | 'shortName'>,
  notes: DatasetExportNotes = emptyNotes(),
): TrainerSceneLine | SkippedScene {
  const fullName = character.fullName.trim();
  const shortName = character.shortName.trim();
  if (!fullName || !shortName) {
    throw new DatasetExportError(
      'The character needs a full name and a short name before its scenes can be exported for training.',
    );
  }
  const skip = (reason: string): SkippedScene => ({ sceneId: scene.id, reason });
  if (!scene.experience) return skip('the scene has no experience yet; generate it first');
  const aliases = new Set([shortName.toLowerCase(), fullName.toLowerCase()]);
  const turns: TrainerTurn[] = [];
  let otherThinking = 0;
  for (const [index, turn] of scene.experience.turns.entries()) {
    const text = turn.text.trim();
    if (!text) continue; // an empty turn carries nothing to learn
    const speaker = turn.speaker.trim();
    if (!speaker) return skip(`turn ${index + 1} has no speaker`);
    if (!TURN_KINDS.includes(turn.kind))
      return skip(`turn ${index + 1} has kind "${String(turn.kind)}" (expected speaking, thinking or action)`);
    if (text.includes(NONSTOP))
      return skip(`turn ${index + 1} was cut off at the token limit; regenerate the experience`);
    const label = aliases.has(speaker.toLowerCase()) ? shortName : speaker;
    if (turn.kind === 'thinking' && label !== shortName) {
      otherThinking++;
      continue;
    }
    turns.push({ speaker: label, kind: turn.kind, text });
  }
  if (!turns.length) return skip('the experience has no turns');
  if (!turns.some((t) => t.speaker === shortName && t.kind !== 'action')) {
    return skip(`${shortName} never speaks or thinks in the experience, so there is nothing to train on`);
  }
  if (otherThinking > 0) {
    notes.otherThinkingLeftOut += otherThinking;
    notes.scenesWithOtherThinking++;
  }
  const background = scene.protective
    ? protectiveStatus(shortName)
    : scene.experience.background.trim() || scene.background.trim();
  return {
    id: scene.id,
    character: { full_name: fullName, short_name: shortName },
    location: scene.protective ? PROTECTIVE_LOCATION : locTime(scene),
    background,
    turns,
    protective: scene.protective,
  };
}

function emptyNotes(): DatasetExportNotes {
  return { otherThinkingLeftOut: 0, scenesWithOtherThinking: 0 };
}

/** The export report's sentences for a person (empty when the rule changed nothing). */
export function exportNotices(notes: DatasetExportNotes): string[] {
  if (notes.otherThinkingLeftOut === 0) return [];
  const n = notes.otherThinkingLeftOut;
  const m = notes.scenesWithOtherThinking;
  return [
    `${n.toLocaleString('en-US')} thinking turn${n === 1 ? '' : 's'} by other speakers (in ${m.toLocaleString('en-US')} scene${m === 1 ? '' : 's'}) will be left out of the training data: only the character may think. They stay in the dataset, marked on the Dataset tab.`,
  ];
}

function isSkipped(value: TrainerSceneLine | SkippedScene): value is SkippedScene {
  return 'reason' in value;
}

/** All scenes of one character, in the given order; duplicates of an id are skipped (the trainer rejects them). */
export function exportTrainerDataset(
  scenes: readonly Scene[],
  character: Pick<Character, 'fullName' | 'shortName'>,
): DatasetExport {
  const lines: TrainerSceneLine[] = [];
  const skipped: SkippedScene[] = [];
  const notes = emptyNotes();
  const seen = new Set<string>();
  for (const scene of scenes) {
    const line = nextLine(scene, character, seen, skipped, notes);
    if (line) lines.push(line);
  }
  return { lines, skipped, notes };
}

/** One scene's line, or null when it is skipped (said in `skipped`); `seen` holds the ids already taken. */
function nextLine(
  scene: Scene,
  character: Pick<Character, 'fullName' | 'shortName'>,
  seen: Set<string>,
  skipped: SkippedScene[],
  notes: DatasetExportNotes,
): TrainerSceneLine | null {
  if (seen.has(scene.id)) {
    skipped.push({ sceneId: scene.id, reason: 'the same scene appears twice' });
    return null;
  }
  seen.add(scene.id);
  const line = sceneToTrainerLine(scene, character, notes);
  if (!isSkipped(line)) return line;
  skipped.push(line);
  return null;
}

/** The file's bytes: one JSON object per line, each ending with `\n`. */
export function serializeTrainerDataset(lines: readonly TrainerSceneLine[]): Buffer {
  return Buffer.from(lines.map((line) => `${JSON.stringify(line)}\n`).join(''), 'utf8');
}

/**
 * Scenes read a page at a time (`DatasetRepo.trainableScenePages`): the writer renders and writes
 * one page before it asks for the next, so a dataset of any size is never held whole in memory
 * and the event loop gets a turn at every page's write.
 */
export interface ScenePages {
  pages: Iterable<readonly Scene[]>;
}

/**
 * Writes the dataset file (atomically: a temporary file renamed into place) and returns its sha256.
 * Refuses an export with no usable scene, naming why the first ones were skipped; the temporary
 * file is removed then, as on any failure.
 */
export async function writeTrainerDataset(
  path: string,
  scenes: readonly Scene[] | ScenePages,
  character: Pick<Character, 'fullName' | 'shortName'>,
): Promise<WrittenDataset> {
  const pages = 'pages' in scenes ? scenes.pages : [scenes];
  const skipped: SkippedScene[] = [];
  const notes = emptyNotes();
  const seen = new Set<string>();
  const hash = createHash('sha256');
  let read = 0;
  let written = 0;
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w');
  try {
    for (const page of pages) {
      read += page.length;
      let text = '';
      for (const scene of page) {
        const line = nextLine(scene, character, seen, skipped, notes);
        if (!line) continue;
        text += `${JSON.stringify(line)}\n`;
        written++;
      }
      if (!text) {
        // A page of skipped scenes gives the loop its turn too.
        await nextTurn();
        continue;
      }
      const bytes = Buffer.from(text, 'utf8');
      hash.update(bytes);
      await file.write(bytes);
    }
    if (written === 0) {
      const why = skipped
        .slice(0, 3)
        .map((s) => `${s.sceneId}: ${s.reason}`)
        .join('; ');
      throw new DatasetExportError(
        `None of the ${read} scene(s) can be used for training${why ? ` (${why})` : ''}. Generate experiences for some scenes first.`,
      );
    }
    await file.close();
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  await rename(temporary, path);
  return { path, sha256: hash.digest('hex'), scenes: written, skipped, notes };
}
