import fs from 'node:fs';
import path from 'node:path';

/**
 * The interpreter the trainer runs with when the user names none: the studio's managed environment
 * in the data folder, else the development checkout's `.venv`, else `python3` on the PATH.
 */
export function defaultPython(dataDir: string, appRoot: string): string {
  const bin = process.platform === 'win32' ? path.join('Scripts', 'python.exe') : path.join('bin', 'python');
  for (const candidate of [path.join(dataDir, 'python', bin), path.join(appRoot, '.venv', bin)]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return process.platform === 'win32' ? 'python' : 'python3';
}
