import fs from 'node:fs';
import { Studio } from '../../main/core/studio';
import type { CharacterId, CommandArg, CommandName, CommandResult, StudioError } from '../../common/contract';
import { fakeProviderDraft, generationSettings } from './drafts';
import { fixture, tempDir } from './paths';

export { fakeProviderDraft, generationSettings };

/** A real studio on a real SQLite file in a fresh folder. */
export function makeStudio(dataDir?: string): { studio: Studio; dir: string; cleanup: () => void } {
  const tmp = dataDir ? { dir: dataDir, cleanup: () => undefined } : tempDir('cs-studio-');
  const studio = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test' });
  return {
    studio,
    dir: tmp.dir,
    cleanup: () => {
      studio.close();
      tmp.cleanup();
    },
  };
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

/**
 * Beethoven with the paper's profile and `targetScenes` generated scenes, through the real pipeline
 * against `llmBaseUrl` (the fake LLM server with the studio responder). Returns the character's id.
 */
export async function generatedBeethoven(
  studio: Studio,
  llmBaseUrl: string,
  targetScenes: number,
): Promise<CharacterId> {
  const characterId = await createBeethoven(studio);
  await call(studio, 'profiles/import', {
    characterId,
    fileBase64: fs.readFileSync(fixture('wiki_Beethoven.txt')).toString('base64'),
    fileName: 'wiki_Beethoven.txt',
  });
  const provider = await call(studio, 'providers/create', fakeProviderDraft(llmBaseUrl));
  const job = await call(studio, 'generation/start', {
    characterId,
    settings: generationSettings(provider.id, { targetScenes, scenesPerCall: 4 }),
  });
  const finished = await studio.generation.whenIdle(job.id);
  if (finished.status !== 'succeeded')
    throw new Error(`generation ended ${finished.status}: ${finished.message ?? ''}`);
  return characterId;
}
