import fs from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import { Studio, type StudioOptions } from '../../main/core/studio';
import type {
  Character,
  CharacterId,
  CommandArg,
  CommandName,
  CommandResult,
  ProviderId,
  StudioError,
  TrainingConfig,
} from '../../common/contract';
import { DEFAULT_HYPERPARAMETERS } from '../../main/core/training/catalog';
import { fakeProviderDraft, generationSettings } from './drafts';
import { fixture, tempDir } from './paths';

export { fakeProviderDraft, generationSettings };

/**
 * Retry waits of a few ms for a test whose provider fails on purpose: the same retries, outage
 * streak and pause as the gateway's 1 s doubling backoff, without its 1 + 2 + 4 + 8 s of jittered
 * waits per item (up to 30 s for two rounds of items: a test timeout reached by chance).
 */
export const QUICK_RETRIES = { jobRetry: { baseDelayMs: 1, maxDelayMs: 4 } } satisfies Partial<StudioOptions>;

/** Options a test may give its studio beyond the folder. */
export type TestStudioOptions = Pick<StudioOptions, 'jobRetry'>;

/** A real studio on a real SQLite file in a fresh folder. */
export function makeStudio(
  dataDir?: string,
  options: TestStudioOptions = {},
): { studio: Studio; dir: string; cleanup: () => void } {
  const tmp = dataDir ? { dir: dataDir, cleanup: () => undefined } : tempDir('cs-studio-');
  // One thread for the embedded model: two spin against each other on a busy 2-core machine.
  const studio = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test', embeddedThreads: 1, ...options });
  return {
    studio,
    dir: tmp.dir,
    cleanup: () => {
      studio.close();
      tmp.cleanup();
    },
  };
}

/**
 * A fresh studio for each test of the file: `opened` receives it before the test; after it the
 * studio shuts down, its folder goes, then `after` runs (closing the test's fake server, say).
 */
export function studioForEachTest(
  opened: (env: ReturnType<typeof makeStudio>) => void,
  after?: () => Promise<void> | undefined,
  options: TestStudioOptions = {},
): void {
  let env: ReturnType<typeof makeStudio> | undefined;
  beforeEach(() => {
    env = makeStudio(undefined, options);
    opened(env);
  });
  afterEach(async () => {
    await env?.studio.shutdown();
    env?.cleanup();
    await after?.();
  });
}

/** Calls a command through the validating dispatcher and returns its result, or throws its error. */
export async function call<K extends CommandName>(
  studio: Studio,
  name: K,
  arg: CommandArg<K>,
): Promise<CommandResult<K>> {
  const outcome = await studio.invoke(name, arg);
  if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
  return outcome.result as CommandResult<K>;
}

export async function callError(studio: Studio, name: string, arg: unknown): Promise<StudioError> {
  const outcome = await studio.invoke(name, arg);
  if (outcome.ok) throw new Error(`expected ${name} to fail`);
  return outcome.error;
}

/** Beethoven, the paper's example character, with no profile yet. */
export async function createBeethoven(studio: Studio): Promise<CharacterId> {
  const character = await call(studio, 'characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '1770–1827',
    notes: '',
  });
  return character.id;
}

/** Beethoven with one profile: the paper's Wikipedia article, or `text` (a plain-text file). */
export async function beethovenWithProfile(studio: Studio, text?: string): Promise<CharacterId> {
  const characterId = await createBeethoven(studio);
  const file = text === undefined ? fs.readFileSync(fixture('wiki_Beethoven.txt')) : Buffer.from(text);
  await call(studio, 'profiles/import', {
    characterId,
    fileBase64: file.toString('base64'),
    fileName: text === undefined ? 'wiki_Beethoven.txt' : 'life.txt',
  });
  return characterId;
}

/**
 * The sample character loaded (scenes of both kinds), with a provider at an address nothing listens
 * on: the Generate tab's estimate reads its settings and calls nothing; a run started there stops on
 * the outage (tests that start one do not wait for it).
 */
export async function sampleWithIdleProvider(studio: Studio): Promise<Character> {
  const [sample] = await call(studio, 'samples/list', {});
  const { characterId } = await call(studio, 'samples/load', { id: sample!.id });
  await addFakeProvider(studio, 'http://127.0.0.1:9/v1');
  return call(studio, 'characters/get', { id: characterId });
}

/** The fake LLM server at `baseUrl` as a provider named `Fake` (key `test-key`, model `fake-model`). */
export async function addFakeProvider(
  studio: Studio,
  baseUrl: string,
  options: { structuredOutput?: boolean; maxConcurrency?: number } = {},
): Promise<ProviderId> {
  const provider = await call(studio, 'providers/create', {
    ...fakeProviderDraft(baseUrl),
    maxConcurrency: options.maxConcurrency ?? 4,
    structuredOutput: options.structuredOutput ?? true,
  });
  return provider.id;
}

/** A provider that runs the GGUF file `modelPath` inside the studio (the embedded preset), one call at a time. */
export async function addEmbeddedProvider(studio: Studio, modelPath: string, timeoutMs = 60_000): Promise<ProviderId> {
  const provider = await call(studio, 'providers/create', {
    name: 'Tiny',
    preset: 'embedded',
    baseUrl: '',
    model: '',
    modelPath,
    maxConcurrency: 1,
    requestsPerMinute: 0,
    timeoutMs,
    structuredOutput: true,
  });
  return provider.id;
}

/**
 * Beethoven with the paper's profile and `targetScenes` generated scenes, through the real pipeline
 * against `llmBaseUrl` (the fake LLM server with the studio responder). Returns the character's id.
 */
export async function generatedBeethoven(
  studio: Studio,
  llmBaseUrl: string,
  targetScenes: number,
): Promise<CharacterId> {
  const characterId = await beethovenWithProfile(studio);
  const providerId = await addFakeProvider(studio, llmBaseUrl);
  const job = await call(studio, 'generation/start', {
    characterId,
    settings: generationSettings(providerId, { targetScenes, scenesPerCall: 4 }),
  });
  const finished = await studio.generation.whenIdle(job.id);
  if (finished.status !== 'succeeded')
    throw new Error(`generation ended ${finished.status}: ${finished.message ?? ''}`);
  return characterId;
}

/**
 * Beethoven with the paper's profile and a provider named Fake at `baseUrl` (the fake LLM server),
 * four calls at a time, 5 s per call. Returns both ids.
 */
export async function beethovenWithFakeProvider(
  studio: Studio,
  baseUrl: string,
  provider: { structuredOutput?: boolean; apiKey?: string } = {},
): Promise<{ characterId: CharacterId; providerId: ProviderId }> {
  const characterId = await createBeethoven(studio);
  await call(studio, 'profiles/import', {
    characterId,
    fileBase64: fs.readFileSync(fixture('wiki_Beethoven.txt')).toString('base64'),
    fileName: 'wiki_Beethoven.txt',
  });
  const created = await call(studio, 'providers/create', {
    name: 'Fake',
    preset: 'custom',
    baseUrl,
    model: 'fake-model',
    modelPath: '',
    apiKey: provider.apiKey ?? 'test-key',
    maxConcurrency: 4,
    requestsPerMinute: 0,
    timeoutMs: 5_000,
    structuredOutput: provider.structuredOutput ?? true,
  });
  return { characterId, providerId: created.id };
}

/**
 * A local training config whose launch is refused after the run's dataset file is written
 * (`/bin/false` is not Python): what a run's start costs the studio, with nothing trained.
 */
export function launchRefusedConfig(): TrainingConfig {
  return {
    baseModel: 'Qwen/Qwen2.5-1.5B-Instruct',
    format: 'chat',
    target: 'local',
    python: '/bin/false',
    hyperparameters: DEFAULT_HYPERPARAMETERS,
  };
}
