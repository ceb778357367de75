import { Studio } from '../../main/core/studio';
import type { CommandArg, CommandName, CommandResult, StudioError } from '../../common/contract';
import { tempDir } from './paths';

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
