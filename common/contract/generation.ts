/** Generation (experience construction): settings, estimates, jobs, calls, limits, prompts. Types only. */

import type { CallId, CharacterId, JobId, LimitId, ProviderId } from './base';

export type Stage = 'limits' | 'scenes' | 'experiences' | 'protective';

export type JobStatus = 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface GenerationSettings {
  providerId: ProviderId;
  /** Scenes wanted from the profile (the paper: about 1,500 per character). */
  targetScenes: number;
  /** Scenes asked for in one call. */
  scenesPerCall: number;
  /** Share of protective experiences in the final dataset, 0–0.2 (the paper: 1–5%). */
  protectiveShare: number;
  temperature: number;
  topP: number;
  /** Token limit of one experience completion. */
  maxTokens: number;
  /** Optional spending cap in US dollars; the job pauses when it is reached. */
  budgetUsd: number | null;
  /** Jaccard similarity over word shingles above which a scene counts as a near duplicate. */
  dedupeThreshold: number;
}

export interface StageEstimate {
  stage: Stage;
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

export interface GenerationEstimate {
  stages: StageEstimate[];
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** Null when the model has no price in the table. */
  costUsd: number | null;
  /** Expected wall time at the provider's concurrency, in seconds. */
  seconds: number;
  warnings: string[];
}

/** An item whose last attempt failed: `reason` is that attempt's error. */
export interface ItemFailure {
  itemId: string;
  stage: Stage;
  reason: string;
  at: number;
  /** True when the item ran out of attempts; false while it waits for another one. */
  failed: boolean;
}

export interface StageProgress {
  stage: Stage;
  done: number;
  failed: number;
  total: number;
}

export interface Job {
  id: JobId;
  characterId: CharacterId;
  kind: 'generation';
  status: JobStatus;
  stage: Stage | null;
  settings: GenerationSettings;
  stages: StageProgress[];
  done: number;
  total: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** Estimated seconds left, null until measurable. */
  etaSeconds: number | null;
  /** Why it paused, failed or finished short. */
  message: string | null;
  recentFailures: ItemFailure[];
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface LlmCall {
  id: CallId;
  jobId: JobId | null;
  attempt: number;
  provider: string;
  model: string;
  params: Record<string, unknown>;
  messages: { role: string; content: string }[];
  response: string | null;
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  costUsd: number | null;
  latencyMs: number;
  error: string | null;
  startedAt: number;
}

export interface KnowledgeLimit {
  id: LimitId;
  text: string;
  source: 'generated' | 'user';
}

export interface PromptTemplate {
  stage: Stage;
  /** `builtin@N` or `custom@N`. */
  version: string;
  system: string;
  template: string;
  /** Placeholders the template may use, e.g. `{character}`. */
  placeholders: string[];
  custom: boolean;
}

export interface GenerationCommands {
  'limits/list': (arg: { characterId: CharacterId }) => KnowledgeLimit[];
  /** Replaces the list of what the character cannot know with the user's edit. */
  'limits/save': (arg: { characterId: CharacterId; limits: string[] }) => KnowledgeLimit[];
  /** Asks the provider for the list (from the era and the profile) and replaces the saved one. */
  'limits/generate': (arg: { characterId: CharacterId; providerId: ProviderId }) => KnowledgeLimit[];

  'prompts/list': (arg: { characterId: CharacterId }) => PromptTemplate[];
  /** Saves a new custom version for this character; `null` template goes back to the built-in one. */
  'prompts/save': (
    arg:
      | { characterId: CharacterId; stage: Stage; system: string; template: string }
      | { characterId: CharacterId; stage: Stage; reset: true },
  ) => PromptTemplate[];

  'generation/defaults': (arg: { characterId: CharacterId }) => Omit<GenerationSettings, 'providerId'>;
  'generation/estimate': (arg: { characterId: CharacterId; settings: GenerationSettings }) => GenerationEstimate;
  'generation/start': (arg: { characterId: CharacterId; settings: GenerationSettings }) => Job;

  'jobs/list': (arg: { characterId: CharacterId }) => Job[];
  'jobs/get': (arg: { id: JobId }) => Job;
  'jobs/pause': (arg: { id: JobId }) => Job;
  'jobs/resume': (arg: { id: JobId }) => Job;
  'jobs/cancel': (arg: { id: JobId }) => Job;
  /** Puts failed items back in the queue, all of them or one. */
  'jobs/retry': (arg: { id: JobId; itemId?: string }) => Job;

  'calls/get': (arg: { id: CallId }) => LlmCall[];
}

export interface GenerationEvents {
  /** Throttled to a few a second per job. */
  'jobs/progressed': Job;
  'limits/changed': { characterId: CharacterId };
}
