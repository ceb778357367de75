/** Generation (experience construction): settings, estimates, jobs, calls, limits, prompts. Types only. */

import type { CallId, CharacterId, JobId, LimitId, ProviderId } from './base';
import type { Job } from './jobs';

export type Stage = 'limits' | 'scenes' | 'experiences' | 'protective';

/**
 * How settings become planned work. `studio` (also what an absent preset means): the target is met
 * exactly. `paper`: the paper's own runs: 100 scene calls of 20 scenes (each chunk ⌊100 / chunks⌋
 * times, then a length-weighted draw with seed 42), no top-up, one protective scene per chunk; the
 * preset sets the target and scenes per call, and ignores the protective share.
 */
export type GenerationPreset = 'studio' | 'paper';

export interface GenerationSettings {
  providerId: ProviderId;
  /** Absent: `studio`. */
  preset?: GenerationPreset;
  /**
   * Scenes the character should have in all (the paper: about 1,500 per character). It counts the
   * scenes earlier runs made, so running the same settings twice adds nothing the second time.
   */
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

/** What the settings imply before a run: the plan the estimate is based on. */
export interface GenerationPlan {
  preset: GenerationPreset;
  /** Scene calls this run makes (none when the scenes there already meet the target). */
  sceneCalls: number;
  scenesPerCall: number;
  /** Scenes requested over this run's scene calls. */
  scenesAsked: number;
  /** Scenes expected once answers are parsed and near duplicates dropped (equal bounds: exact). */
  expectedScenes: { low: number; high: number };
  /** Protective scenes this run writes (the share of the target, less those there already). */
  protectiveScenes: number;
  /** The preset's rules in words, one a line; empty for `studio`. */
  rules: string[];
}

export interface GenerationEstimate {
  plan: GenerationPlan;
  stages: StageEstimate[];
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** Null when the model has no price in the table. */
  costUsd: number | null;
  /** Expected wall time at the provider's concurrency, in seconds. */
  seconds: number;
  /** Where the speed behind `seconds` comes from, e.g. "measured: 41 tokens/s a request over the last 200 answers of gpt-4o-mini". */
  timeBasis: string;
  warnings: string[];
  /** Scenes (not protective) the character already has; the target counts them. */
  existingScenes: number;
  /** The target the run would aim at (the settings' target, or existing + `more`). */
  targetScenes: number;
  /** False when the target is met and every scene has its experience: starting would do nothing. */
  hasWork: boolean;
}

/** Studio-wide choices about generation runs, the same for every door. */
export interface GenerationPreferences {
  /** A run whose estimated cost is above this many US dollars asks for confirmation first. */
  confirmAboveUsd: number;
}

export interface LlmCall {
  id: CallId;
  jobId: JobId | null;
  attempt: number;
  /** The kind of endpoint: `openai-compatible:<preset>`, `embedded`. */
  provider: string;
  /** The studio's name for the provider when the call was made; null for older calls and a trained run's server. */
  providerLabel: string | null;
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
  /** `in_flight` until the answer; `interrupted` when the studio died waiting (cost unknown). */
  status: 'in_flight' | 'done' | 'interrupted';
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

  /**
   * The settings of the character's last run (the form opens with them), else the studio's
   * defaults; `preset` asked for replaces the scene numbers with its own (`paper`: the paper's).
   */
  'generation/defaults': (arg: {
    characterId: CharacterId;
    preset?: GenerationPreset;
  }) => Omit<GenerationSettings, 'providerId'>;
  /** `more`: add this many scenes to what the character has; the target becomes existing + `more`. */
  'generation/estimate': (arg: {
    characterId: CharacterId;
    settings: GenerationSettings;
    more?: number;
  }) => GenerationEstimate;
  /**
   * Starts a run towards the target (see `more`). Refused with `conflict` while the character has
   * an unfinished job, and when the target is already met (nothing to do).
   */
  'generation/start': (arg: { characterId: CharacterId; settings: GenerationSettings; more?: number }) => Job;
  'generation/preferences': (arg: Record<string, never>) => GenerationPreferences;
  'generation/set-preferences': (arg: GenerationPreferences) => GenerationPreferences;

  'calls/get': (arg: { id: CallId }) => LlmCall[];
}

export interface GenerationEvents {
  'limits/changed': { characterId: CharacterId };
}
