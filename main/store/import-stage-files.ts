import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from './open-sessions';

/** The names of import stages' scratch files in the system's temporary folder (`<prefix>import_stage_<pid>_<n>-<ms>.sqlite`). */
export const STAGE_PREFIX = 'character-studio-';
const STAGE_FILE = new RegExp(`^${STAGE_PREFIX}import_stage_(\\d+)_\\d+-\\d+\\.sqlite$`);

/**
 * Deletes the scratch files of imports whose studio process is gone: a studio killed or crashed
 * mid-import never reached `discard`, and its stage (up to hundreds of MB for a large import) stayed
 * in the temporary folder for good. A live process's stages are left alone (another studio may be
 * importing). Run when a studio opens, off the event loop; resolves to the files removed.
 */
export async function sweepOrphanStages(dir = os.tmpdir()): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = STAGE_FILE.exec(name)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    const file = path.join(dir, name);
    try {
      await fs.promises.rm(file, { force: true });
      removed.push(file);
    } catch {
      // Not ours to remove (another user's, say): left as it is.
    }
  }
  return removed;
}
