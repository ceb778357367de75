import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StudioFailure } from './errors';

export const APP_FOLDER_NAME = 'Character Studio';

/**
 * Where `serve` and the CLI keep data: `--data-dir`, else CHARACTER_STUDIO_HOME, else the same
 * folder the desktop app uses (Electron's userData), so all three doors see one studio.
 */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.CHARACTER_STUDIO_HOME;
  if (chosen) return path.resolve(chosen);
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', APP_FOLDER_NAME);
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_FOLDER_NAME);
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_FOLDER_NAME);
  }
}

/** Creates the data folder when missing; fails clearly when it cannot be created or written. */
export function ensureDataDir(dir: string): void {
  try {
    const stat = fs.statSync(dir, { throwIfNoEntry: false });
    if (stat && !stat.isDirectory()) {
      throw new StudioFailure(
        'unavailable',
        `The data folder ${dir} is a file, not a folder. Choose a folder with --data-dir.`,
      );
    }
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK);
  } catch (error) {
    if (error instanceof StudioFailure) throw error;
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new StudioFailure(
      'unavailable',
      `The data folder ${dir} cannot be created or written (${reason}). Choose a folder you can write with --data-dir or CHARACTER_STUDIO_HOME.`,
    );
  }
}
