/** The dataset: scenes, their experiences and statistics. Types only. */

import type { CallId, CharacterId, ChunkId, SceneId } from './base';
import type { SceneFilter, SceneKind, SceneReview } from './review';

export type TurnKind = 'speaking' | 'thinking' | 'action';

export interface Turn {
  speaker: string;
  kind: TurnKind;
  text: string;
}

/** What a scene is, where and with whom: shared by the whole scene and its list summary. */
export interface SceneBase {
  id: SceneId;
  characterId: CharacterId;
  chunkId: ChunkId | null;
  protective: boolean;
  /** What the character is pressed about, for protective scenes. */
  limit: string | null;
  type: string;
  location: string;
  time: string;
  people: string[];
  createdAt: number;
  review: SceneReview;
}

export interface Scene extends SceneBase {
  /**
   * From a generation job, written by a person without any LLM (the scene editor), a chat
   * correction (a character's reply the user rewrote in the Chat tab: `chat/correct`), or read from
   * a dataset file (`dataset/import`; its file and line are on its first revision).
   */
  origin: 'generated' | 'hand' | 'chat' | 'import';
  background: string;
  callId: CallId | null;
  promptVersion: string;
  experience: Experience | null;
}

/**
 * Why part of a generated answer does not fit the expected format. Problems on a stored experience
 * are the ones that did not stop it being kept; the others fail the work item instead.
 * - `other_thinking`: a thinking turn by someone other than the main character (kept as written;
 *   the training export leaves it out, see `DatasetExportNotes`).
 * - `unlabeled_turn`: `Name: text` without a `(speaking)` label, read as speaking.
 * - `unknown_kind`: a turn of a kind other than speaking, thinking or action, kept as speaking.
 * - `empty_turn`: a turn header with no text (nothing to keep).
 * - `unreadable_turn`: a piece of the answer that is not a turn (no speaker, not an object); its
 *   text is kept in the problem's `raw`.
 * - `no_background`: no background paragraph before the first turn.
 * - `malformed_answer`: the answer as a whole was broken (invalid JSON) but its turns were readable.
 * - `incomplete_scene`, `no_scenes`, `no_turns`, `no_main_character`, `truncated`: scene blocks
 *   without a required field, answers with nothing usable, or cut off; these fail the item.
 */
export type FormatProblemCode =
  | 'other_thinking'
  | 'unlabeled_turn'
  | 'unknown_kind'
  | 'empty_turn'
  | 'unreadable_turn'
  | 'no_background'
  | 'malformed_answer'
  | 'incomplete_scene'
  | 'no_scenes'
  | 'no_turns'
  | 'no_main_character'
  | 'truncated';

export interface FormatProblem {
  code: FormatProblemCode;
  /** For a person: what is wrong and what was done about it (a kept turn is named by `turn`, not in the text). */
  message: string;
  /** Index of the affected turn in `Experience.turns`, when the turn was kept; null otherwise. */
  turn: number | null;
  /** The offending text as the model wrote it (clipped to 2,000 characters). */
  raw: string;
}

export interface Experience {
  background: string;
  turns: Turn[];
  callId: CallId | null;
  promptVersion: string;
  /** What in the model's answer did not fit the format; empty when it all did. */
  problems: FormatProblem[];
}

/**
 * A scene as the list shows it (`scenes/list`): what it is, where, with whom, and figures of its
 * experience; the scene's background and the experience itself come with `scenes/get`.
 */
export interface SceneSummary extends SceneBase {
  hasExperience: boolean;
  /** Turns and words of the experience; 0 while it has none. */
  turns: number;
  words: number;
  /** The experience's format problems by code (codes with none are absent). */
  problems: Partial<Record<FormatProblemCode, number>>;
  /** With a search: a few words around the best match, the matched words marked. */
  snippet?: HighlightPart[];
}

/** A run of text, `match` when it is a word the search found. */
export interface HighlightPart {
  text: string;
  match: boolean;
}

/**
 * The list's orders: `newest`/`oldest` by creation (the order scenes were added in), `turns` and
 * `words` longest first, `rating` best first (unrated last), `chunk` in the order of the profile's
 * chunks. Ties go by creation.
 */
export type SceneSort = 'newest' | 'oldest' | 'turns' | 'words' | 'rating' | 'chunk';

/** A value of a facet with how many scenes choosing it would show (under the rest of the filter). */
export interface FacetCount {
  value: string;
  /** For a person, when the value is an id (chunks: "Early years · 3"). */
  label?: string;
  count: number;
}

/**
 * Counts for the browser's filters beyond review (those are `ReviewCounts`): each facet counted
 * under every other field of the filter, as `ReviewCounts` does.
 */
export interface SceneFacets {
  /** Every kind the character has scenes of (kinds with none are absent). */
  kinds: Partial<Record<SceneKind, number>>;
  /** Scenes whose experience has format problems. */
  problems: number;
  /** Most turns first; at most 50. */
  speakers: FacetCount[];
  promptVersions: FacetCount[];
  models: FacetCount[];
  /** In the profile's order. */
  chunks: FacetCount[];
}

export interface DatasetStats {
  scenes: number;
  protectiveScenes: number;
  experiences: number;
  turns: number;
  words: number;
  /** Experiences with at least one format problem. */
  experiencesWithProblems: number;
  /** Problems on stored experiences, by code (codes with none are absent). */
  problems: Partial<Record<FormatProblemCode, number>>;
}

export interface DatasetCommands {
  /**
   * A page of the scenes matching the filter (see `SceneFilter`) in `sort` order (default
   * `oldest`), after the page whose `next` is `after` (absent: the first page). Pages follow a
   * keyset, so scenes added or removed between two pages neither repeat nor skip a row. `next` is
   * null on the last page. The count of the filter comes from `review/counts`. `through` (the
   * `next` of a page already shown) ends the page at that row: the same rows again, refreshed,
   * up to `limit` (`next` is then non-null only when the range held more).
   */
  'scenes/list': (
    arg: {
      characterId: CharacterId;
      limit: number;
      after?: string;
      through?: string;
      sort?: SceneSort;
    } & SceneFilter,
  ) => {
    scenes: SceneSummary[];
    next: string | null;
  };
  /** The browser's filter counts (kind, problems, speaker, prompt version, model, chunk). */
  'scenes/facets': (arg: { characterId: CharacterId; filter?: SceneFilter }) => SceneFacets;
  'scenes/get': (arg: { id: SceneId }) => Scene;
  /**
   * The scenes whose id is `key` or starts with it, in id order (the exact one first), at most 10:
   * for a person typing an id, or the start of one, at the command line. Empty when none.
   */
  'scenes/match': (arg: { key: string }) => { id: SceneId; characterId: CharacterId }[];
  'dataset/stats': (arg: { characterId: CharacterId }) => DatasetStats;
}

export interface DatasetEvents {
  /**
   * The character's scenes changed (added, written, edited, reviewed, deleted). `sceneIds`: the
   * scenes that changed, when they are known and at most 500, so a list refetches
   * only the pages holding them; absent, anything may have changed.
   */
  'dataset/changed': { characterId: CharacterId; sceneIds?: SceneId[] };
}
