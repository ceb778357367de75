import type { CommandArg, GenerationSettings, ProviderId } from '../../common/contract';

/**
 * Command arguments the tests send again and again. Types only from the app, so that the e2e
 * project (which runs no SQL loader) can import it without the studio.
 */

/** The fake LLM server at `baseUrl` as a provider (the model and key it expects). */
export function fakeProviderDraft(baseUrl: string, name = 'Fake'): CommandArg<'providers/create'> {
  return {
    name,
    preset: 'custom',
    baseUrl,
    model: 'fake-model',
    modelPath: '',
    apiKey: 'test-key',
    maxConcurrency: 4,
    requestsPerMinute: 0,
    timeoutMs: 5000,
    structuredOutput: true,
  };
}

/** `providers add` arguments for the fake LLM server at `baseUrl` (named `Fake`, its model and key). */
export function fakeProviderCliArgs(baseUrl: string): string[] {
  return ['providers', 'add', '--name', 'Fake', '--preset', 'custom', '--base-url', baseUrl].concat([
    '--model',
    'fake-model',
    '--api-key',
    'test-key',
  ]);
}

/** Generation settings as the tests use them: 20 scenes, 5 a call, 10% protective; `patch` overrides. */
export function generationSettings(
  providerId: ProviderId,
  patch: Partial<GenerationSettings> = {},
): GenerationSettings {
  return {
    providerId,
    targetScenes: 20,
    scenesPerCall: 5,
    protectiveShare: 0.1,
    temperature: 0.7,
    topP: 0.95,
    maxTokens: 2000,
    budgetUsd: null,
    dedupeThreshold: 0.7,
    ...patch,
  };
}
