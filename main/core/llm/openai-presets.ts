/**
 * The OpenAI-compatible servers the studio knows by name: where each listens by default, whether it
 * needs a key, which token-limit field and output formats it accepts, and what to tell a person
 * when nothing answers there.
 */
import type { ProviderPresetInfo } from '../../../common/contract';

export type OpenAiPresetId = 'openai' | 'ollama' | 'lmstudio' | 'llamacpp' | 'vllm' | 'openrouter' | 'custom';

export interface OpenAiPreset {
  id: OpenAiPresetId;
  label: string;
  /** Empty for `custom`: the user must give one. */
  baseURL: string;
  requiresApiKey: boolean;
  /** Honours `response_format: {type: 'json_schema'}`. */
  supportsJsonSchema: boolean;
  /** OpenAI's newer models reject `max_tokens`; local servers know only `max_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /**
   * Whether a request may carry `ignore_eos` (llama.cpp server's and vLLM's ban of the end-of-text
   * token). OpenAI refuses unknown fields with a 400; the other servers honour it or ignore it.
   */
  acceptsIgnoreEos: boolean;
  /**
   * How the server goes on from an unfinished assistant message sent last (Continue): `prefill`
   * (llama.cpp server, Ollama, LM Studio, OpenRouter: a final assistant message is continued),
   * `flags` (vLLM: only with `continue_final_message: true, add_generation_prompt: false`), or
   * `no` (OpenAI answers it with a new message instead).
   */
  continues: 'prefill' | 'flags' | 'no';
  /** What to tell a person when nothing answers at the base URL. */
  startHint: string;
  /** A model id to start from. */
  exampleModel: string;
}

export const OPENAI_PRESETS: Readonly<Record<OpenAiPresetId, OpenAiPreset>> = {
  openai: {
    id: 'openai',
    label: 'OpenAI',
    baseURL: 'https://api.openai.com/v1',
    requiresApiKey: true,
    supportsJsonSchema: true,
    maxTokensField: 'max_completion_tokens',
    acceptsIgnoreEos: false,
    continues: 'no',
    startHint: 'Check your internet connection and proxy settings.',
    exampleModel: 'gpt-4o-mini',
  },
  ollama: {
    id: 'ollama',
    label: 'Ollama',
    baseURL: 'http://127.0.0.1:11434/v1',
    requiresApiKey: false,
    supportsJsonSchema: true,
    maxTokensField: 'max_tokens',
    acceptsIgnoreEos: true,
    continues: 'prefill',
    startHint:
      "Start Ollama (run 'ollama serve' or open the Ollama app) and pull the model with 'ollama pull <model>'.",
    exampleModel: 'llama3.1:8b',
  },
  lmstudio: {
    id: 'lmstudio',
    label: 'LM Studio',
    baseURL: 'http://127.0.0.1:1234/v1',
    requiresApiKey: false,
    supportsJsonSchema: true,
    maxTokensField: 'max_tokens',
    acceptsIgnoreEos: true,
    continues: 'prefill',
    startHint: "Open LM Studio, load a model and start the local server (Developer tab, or 'lms server start').",
    exampleModel: 'qwen2.5-7b-instruct',
  },
  llamacpp: {
    id: 'llamacpp',
    label: 'llama.cpp server',
    baseURL: 'http://127.0.0.1:8080/v1',
    requiresApiKey: false,
    supportsJsonSchema: true,
    maxTokensField: 'max_tokens',
    acceptsIgnoreEos: true,
    continues: 'prefill',
    startHint: "Start it with 'llama-server -m <model.gguf> --port 8080'.",
    exampleModel: 'default',
  },
  vllm: {
    id: 'vllm',
    label: 'vLLM',
    baseURL: 'http://127.0.0.1:8000/v1',
    requiresApiKey: false,
    supportsJsonSchema: true,
    maxTokensField: 'max_tokens',
    acceptsIgnoreEos: true,
    continues: 'flags',
    startHint: "Start it with 'vllm serve <model> --port 8000'.",
    exampleModel: 'Qwen/Qwen2.5-7B-Instruct',
  },
  openrouter: {
    id: 'openrouter',
    label: 'OpenRouter',
    baseURL: 'https://openrouter.ai/api/v1',
    requiresApiKey: true,
    // Depends on the routed model; off by default so requests never fail on an unsupported field.
    supportsJsonSchema: false,
    maxTokensField: 'max_tokens',
    acceptsIgnoreEos: true,
    continues: 'prefill',
    startHint: 'Check your internet connection and proxy settings.',
    exampleModel: 'openai/gpt-4o-mini',
  },
  custom: {
    id: 'custom',
    label: 'Custom (OpenAI-compatible)',
    baseURL: '',
    requiresApiKey: false,
    supportsJsonSchema: false,
    maxTokensField: 'max_tokens',
    acceptsIgnoreEos: true,
    continues: 'prefill',
    startHint: 'Check that the server is running and that the base URL (usually ending in /v1) is right.',
    exampleModel: '',
  },
};

/** The presets in the contract's shape, for `providers/presets`. */
export function openAiPresetInfos(): ProviderPresetInfo[] {
  return Object.values(OPENAI_PRESETS).map((p) => ({
    id: p.id,
    label: p.label,
    kind: 'openai-compatible',
    baseUrl: p.baseURL,
    needsApiKey: p.requiresApiKey,
    supportsJsonSchema: p.supportsJsonSchema,
    exampleModel: p.exampleModel,
  }));
}
