/** Rewriting scenes with a written instruction through the LLM gateway, as a job. Types only. */

import type { CallId, CharacterId, JobId, ProviderId, SceneId } from './base';
import type { RegenerateJob } from './jobs';
import type { SceneFilter } from './review';
import type { SavedScene } from './scenes';

/** What one regeneration job asks of every scene it covers (stored on the job). */
export interface RegenerateSettings {
  providerId: ProviderId;
  /** What to change, in the writer's words ("make him angrier", "he has not met Goethe yet"). */
  instruction: string;
  /** The one turn to rewrite (0-based; a job naming a turn covers one scene); null: the whole experience. */
  turn: number | null;
  temperature: number;
  /** Token limit of one answer. */
  maxTokens: number;
  /** Optional spending cap in US dollars; the job pauses when it is reached. */
  budgetUsd: number | null;
}

/**
 * A regeneration kept aside: the scene changed (a person saved, another job wrote it) between the
 * moment the regeneration read it and the moment its answer came, so the answer did not become the
 * current revision. It can be compared with the current one and adopted as a new revision.
 */
export interface SceneProposal {
  id: string;
  sceneId: SceneId;
  /** The revision the regeneration started from. */
  baseRevision: number;
  jobId: JobId | null;
  callId: CallId | null;
  promptVersion: string;
  instruction: string;
  turn: number | null;
  createdAt: number;
  /** The revision it became when adopted; null while it waits. */
  adoptedAs: number | null;
}

export interface RegenerateRequest {
  characterId: CharacterId;
  /** The scenes to rewrite, or `filter`: every scene it matches (exactly one of the two). */
  ids?: SceneId[];
  filter?: SceneFilter;
  instruction: string;
  /** Rewrite only this turn (0-based) of the one scene named. */
  turn?: number;
  /** Absent: the provider of the character's last job. */
  providerId?: ProviderId;
}

export interface RegenerateCommands {
  /**
   * Starts a `regenerate` job with one item per scene: each answer becomes the scene's next revision
   * (author `llm`, with its call and prompt version), or a proposal when the scene moved meanwhile.
   */
  'scenes/regenerate': (arg: RegenerateRequest) => RegenerateJob;
  /** The regenerations of the scene kept aside, newest first (adopted ones too). */
  'scenes/proposals': (arg: { id: SceneId }) => SceneProposal[];
  /** Makes a proposal the scene's next revision; refused with `conflict` when the scene moved since `baseRevision`. */
  'scenes/adopt': (arg: { id: SceneId; proposalId: string; baseRevision: number }) => SavedScene;
}

export interface RegenerateEvents {
  /**
   * A regeneration ended for a scene: `revision` is its new current revision, or null when the
   * answer was kept as proposal `proposalId` (the scene had moved).
   */
  'scenes/regenerated': {
    characterId: CharacterId;
    sceneId: SceneId;
    jobId: JobId;
    revision: number | null;
    proposalId: string | null;
  };
}
