/** Review of the dataset: status, rating and tags per scene, bulk actions and their undo. Types only. */

import type { CharacterId, ChunkId, ProviderId, SceneId } from './base';
import type { Job } from './jobs';

/**
 * Where a scene stands in review. `unreviewed` and `accepted` scenes are trained; `rejected` ones
 * never reach the trainer and get no experience generated for them.
 */
export type ReviewStatus = 'unreviewed' | 'accepted' | 'rejected';

/** A scene's review, as the list and the scene show it. */
export interface SceneReview {
  status: ReviewStatus;
  /** 1–5, or null while not rated. */
  rating: number | null;
  /** Sorted by name. */
  tags: string[];
  /** When the review last changed; null while never reviewed. */
  reviewedAt: number | null;
}

/**
 * Which of a character's scenes a list or a bulk action covers; absent fields do not filter.
 * `rating: null` keeps the scenes not rated; `waiting: true` those still without their experience.
 */
export interface SceneFilter {
  /** Kept for older callers; `kind` says the same and more. */
  protective?: boolean;
  kind?: SceneKind;
  /** Words to find in the scene's fields and its experience (common/search-query.ts reads them). */
  search?: string;
  /** Only scenes whose experience has format problems. */
  problems?: boolean;
  status?: ReviewStatus;
  rating?: number | null;
  tag?: string;
  waiting?: boolean;
  /** The profile chunk the scene was generated from. */
  chunkId?: ChunkId;
  /** The prompt version the scene was generated with (e.g. `builtin@1`). */
  promptVersion?: string;
  /** The model of the LLM call that wrote the scene or its experience. */
  model?: string;
  /** Someone who has at least one turn in the experience (as written, trimmed). */
  speaker?: string;
  /** Turns of the experience, bounds included. */
  minTurns?: number;
  maxTurns?: number;
}

/**
 * What kind of item a scene is: generated `normal` or `protective` (the paper's scenes where the
 * character refuses what it cannot know; imported ones count by the same flag), `hand` (written in
 * the editor without any LLM), or `chat_correction` (a character's reply rewritten in the Chat tab).
 */
export type SceneKind = 'normal' | 'protective' | 'hand' | 'chat_correction';

/**
 * Counts for the filter controls: each facet is counted under every other field of the filter
 * (the status counts ignore `status`, and so on), so a count says what choosing it would show.
 */
export interface ReviewCounts {
  /** Scenes matching the whole filter. */
  total: number;
  status: Record<ReviewStatus, number>;
  /** Keys "1"–"5" and "none" (not rated). */
  ratings: Record<'1' | '2' | '3' | '4' | '5' | 'none', number>;
  /** Every tag of the character with its count, most used first. */
  tags: { tag: string; count: number }[];
  /**
   * Scenes of the filter still waiting for their experience; rejected ones are left out (they are
   * never completed) unless the filter asks for a status.
   */
  waiting: number;
}

/** What one `review/set` did; `review/undo` restores the scenes it changed as they were before. */
export interface ReviewAction {
  id: string;
  /** For a person, e.g. "Rejected 12 scenes". */
  summary: string;
  scenes: number;
  createdAt: number;
}

/** What `review/set` changes: at least one of these. `rating: null` clears the rating. */
export interface ReviewChange {
  status?: ReviewStatus;
  rating?: number | null;
  addTags?: string[];
  removeTags?: string[];
}

export interface ReviewCommands {
  /**
   * Changes the review of the scenes named by `ids`, or of every scene matching `filter` (exactly
   * one of the two), in one step that `review/undo` can take back.
   */
  'review/set': (
    arg: { characterId: CharacterId; ids?: SceneId[]; filter?: SceneFilter } & ReviewChange,
  ) => ReviewAction;
  /** Takes back the character's latest review action not yet undone; again for the one before. */
  'review/undo': (arg: { characterId: CharacterId }) => ReviewAction;
  /** The last action `review/undo` would take back, or null. */
  'review/last': (arg: { characterId: CharacterId }) => ReviewAction | null;
  'review/counts': (arg: { characterId: CharacterId; filter?: SceneFilter }) => ReviewCounts;
  /**
   * Starts a generation job that writes the experience of every scene of the character still
   * waiting for one (rejected scenes excepted); it adds no scenes. Uses the character's last run
   * settings with `providerId`.
   */
  'scenes/complete': (arg: { characterId: CharacterId; providerId: ProviderId }) => Job;
  /** Deletes scenes with their experiences; refused while a job of the character (any kind) is running. */
  'scenes/delete': (arg: { characterId: CharacterId; ids: SceneId[] }) => { deleted: number };
}
