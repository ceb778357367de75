/**
 * Test artefacts that take a Python process (seconds of CPU) to make, made once per content and
 * reused by every test file of the run: `test-output/cache/<kind>/<key>`, where the key hashes
 * everything the artefact is made from. CI starts from a clean clone, so it builds each once.
 *
 * Safe when two vitest workers ask at once: the first takes `<key>.lock` (created exclusively, its
 * pid inside) and builds into `<key>.tmp-<pid>`, renamed into place when complete; the other waits
 * for the folder, or takes the lock over when its holder's process is gone. The folders are not checked
 * again once built: removing test-output/cache makes the next run build them anew.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from '../../main/store/open-sessions';
import { testOutputDir } from './paths';

const cacheRoot = path.join(testOutputDir, 'cache');
/** A build that takes longer than this on a loaded machine is stuck, not slow. */
const WAIT_MS = 10 * 60_000;
const POLL_MS = 100;

/** The sha256 of the parts, in order (file contents, names, versions). */
export function contentKey(parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(createHash('sha256').update(part).digest());
  return hash.digest('hex').slice(0, 32);
}

/**
 * The folder `build` fills, built once for `key` under `kind`. `build` gets an empty folder that is
 * not yet in place; it is renamed in only when `build` returns, so a failed build leaves nothing.
 */
export function builtOnce(kind: string, key: string, build: (folder: string) => void): string {
  const final = path.join(cacheRoot, kind, key);
  const lock = `${final}.lock`;
  fs.mkdirSync(path.dirname(final), { recursive: true });
  const deadline = Date.now() + WAIT_MS;
  while (!fs.existsSync(final)) {
    if (takeLock(lock)) {
      try {
        if (!fs.existsSync(final)) buildInto(final, build);
      } finally {
        fs.rmSync(lock, { force: true });
      }
      break;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Waited ${WAIT_MS / 60_000} min for another test process to build ${final}; remove ${lock} if no test runs.`,
      );
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, POLL_MS);
  }
  return final;
}

function buildInto(final: string, build: (folder: string) => void): void {
  const staging = `${final}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging);
  try {
    build(staging);
    fs.renameSync(staging, final);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** True when this process now holds `lock`; a lock whose process is gone is taken over. */
function takeLock(lock: string): boolean {
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = Number(readOr(lock, ''));
  if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) fs.rmSync(lock, { force: true });
  return false;
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
