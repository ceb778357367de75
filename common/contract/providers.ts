/** LLM providers and prices. Types only. */

import type { Empty, ProviderId } from './base';

export type ProviderKind = 'openai-compatible' | 'embedded';
export type ProviderPreset =
  'openai' | 'ollama' | 'lmstudio' | 'llamacpp' | 'vllm' | 'openrouter' | 'custom' | 'embedded';

export interface ProviderPresetInfo {
  id: ProviderPreset;
  label: string;
  kind: ProviderKind;
  baseUrl: string;
  needsApiKey: boolean;
  supportsJsonSchema: boolean;
  /** A sensible model id to start from, e.g. "gpt-4o-mini" or "llama3.1:8b". */
  exampleModel: string;
}

export interface ProviderDraft {
  name: string;
  preset: ProviderPreset;
  /** For OpenAI-compatible endpoints; ignored for the embedded model. */
  baseUrl: string;
  /** Model id for endpoints; a label for the embedded model. */
  model: string;
  /** Path to a `.gguf` file for the embedded model. */
  modelPath: string;
  /**
   * The API key: a new value replaces the stored one, `''` removes it, absent keeps it. `env:NAME`
   * reads the environment variable NAME at call time. Keys are kept in the OS keychain (desktop)
   * or a private file, never in the database, and are never sent back to the renderer.
   */
  apiKey?: string;
  maxConcurrency: number;
  /** 0 means no limit. */
  requestsPerMinute: number;
  timeoutMs: number;
  /** Ask for JSON by schema (grammar for the embedded model); off falls back to the paper's text format. */
  structuredOutput: boolean;
}

export interface Provider extends Omit<ProviderDraft, 'apiKey'> {
  id: ProviderId;
  kind: ProviderKind;
  hasApiKey: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface ConnectionCheck {
  ok: boolean;
  summary: string;
  models: string[] | null;
  steps: { name: string; ok: boolean; message: string; latencyMs: number }[];
}

/**
 * What a connection test checks: a saved provider as saved (`id` alone), or a form's draft before it
 * is saved (`draft`). With both, the draft edits that saved provider: its stored API key is used
 * while the draft leaves `apiKey` out. A draft may leave `model` empty to list the models first.
 */
export interface ProviderTestTarget {
  id?: ProviderId;
  draft?: ProviderDraft;
}

export interface ModelPrice {
  model: string;
  /** US dollars per million tokens. */
  promptPerMillion: number;
  completionPerMillion: number;
}

export interface ProviderCommands {
  'providers/presets': (arg: Empty) => ProviderPresetInfo[];
  'providers/list': (arg: Empty) => Provider[];
  'providers/create': (arg: ProviderDraft) => Provider;
  'providers/update': (arg: { id: ProviderId } & Partial<ProviderDraft>) => Provider;
  'providers/delete': (arg: { id: ProviderId }) => { deleted: true };
  /** Lists models and, with a model named, sends one tiny completion; never fails, reports instead. */
  'providers/test': (arg: ProviderTestTarget) => ConnectionCheck;
  'prices/list': (arg: Empty) => ModelPrice[];
  'prices/set': (arg: ModelPrice) => ModelPrice[];
}

export interface ProviderEvents {
  'providers/changed': { providerId: ProviderId | null };
}
