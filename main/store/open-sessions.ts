import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Open-session markers: how an open knows whether the database was last shut down cleanly, so
 * that the full integrity check (seconds on a large file) runs only when it may find something.
 *
 * Each process that opens the database writes its own small file `<db>-open-<pid>-<nonce>` next
 * to it (synced to disk) and removes it when it closes the database, or at a normal process exit.
 * A crash (SIGKILL, a native fault, power loss) runs neither, so the marker stays. A marker is
 * *stale*, the sign of an unclean shutdown, when its process is gone or it was written before the
 * machine last booted.
 *
 * Why one file per process, not one flag or a counter: the CLI and `serve` (or two windows) may
 * hold the same database at once. A shared flag would be cleared by the first to close while the
 * other still writes, and a counter cannot tell a live holder from a dead one, nor be repaired
 * after a crash. Files outside the database also mean a crashed session is known before anything
 * opens the database for writing, and the read-only checks keep it byte for byte as it was.
 *
 * Limits: a process on another machine (a shared folder) cannot be probed, so its marker counts
 * as live; a PID reused by an unrelated process in the same boot hides that crash. Both only skip
 * a check; the on-demand check (`app/check-database`, `character-studio db check`) covers them.
 */

interface Marker {
  pid: number;
  host: string;
  /** Wall-clock ms when written. */
  writtenAt: number;
}

/** Markers this process wrote and has not removed yet: what a normal exit clears. */
const ours = new Set<string>();
let exitHookInstalled = false;

/** Clock and uptime may disagree by a little; a machine cannot reboot faster than this (ms). */
const BOOT_SLACK_MS = 5_000;

function prefixOf(dbFile: string): string {
  return `${path.basename(dbFile)}-open-`;
}

/** Markers left by processes that ended without closing the database (absolute paths). */
export function staleSessions(dbFile: string): string[] {
  const dir = path.dirname(dbFile);
  const prefix = prefixOf(dbFile);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
  const bootedAt = Date.now() - os.uptime() * 1000;
  return names.map((name) => path.join(dir, name)).filter((file) => isStale(file, bootedAt));
}

function isStale(file: string, bootedAt: number): boolean {
  if (ours.has(file)) return false;
  let marker: Partial<Marker>;
  try {
    marker = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Marker>;
  } catch (error) {
    // Gone meanwhile: its owner closed cleanly. Unreadable: cut short while written, so a crash.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  if (typeof marker.pid !== 'number' || typeof marker.writtenAt !== 'number') return true;
  if (marker.host !== os.hostname()) return false; // another machine's process: cannot be probed
  if (marker.writtenAt < bootedAt - BOOT_SLACK_MS) return true; // before this boot: power loss or reset
  if (marker.pid === process.pid) return true; // our PID but not our marker: an earlier process's
  return !processAlive(marker.pid);
}

/** Whether a process with this id runs (one of another user's counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Records that this process holds the database open; returns the marker's path for `endSession`.
 * The marker is synced so that it outlives a power loss that the database's own writes survive.
 */
export function beginSession(dbFile: string): string {
  const file = path.join(path.dirname(dbFile), `${prefixOf(dbFile)}${process.pid}-${randomBytes(4).toString('hex')}`);
  const marker: Marker = { pid: process.pid, host: os.hostname(), writtenAt: Date.now() };
  const fd = fs.openSync(file, 'wx');
  try {
    fs.writeSync(fd, JSON.stringify(marker));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  ours.add(file);
  if (!exitHookInstalled) {
    // A normal exit (also process.exit, an uncaught error) ends every synchronous SQLite call first,
    // and SQLite's journal keeps the file whole: not an unclean shutdown, so no check next time.
    process.on('exit', () => [...ours].forEach(endSession));
    exitHookInstalled = true;
  }
  return file;
}

/** Removes a marker: this process's own at a clean close, or stale ones once the check passed. */
export function endSession(marker: string): void {
  ours.delete(marker);
  fs.rmSync(marker, { force: true });
}
