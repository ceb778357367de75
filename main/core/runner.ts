import os from 'node:os';
import { processAlive } from '../store/open-sessions';

/** Who runs a job or training run, as stored with it: `pid@hostname`. */
export function runnerId(): string {
  return `${process.pid}@${os.hostname()}`;
}

/**
 * Whether the process named by a runner id is alive: true or false for a process on this machine,
 * null when it cannot be told (another machine sharing the data folder, or no runner recorded).
 */
export function runnerAlive(runner: string | null): boolean | null {
  const [pidText, host] = (runner ?? '').split('@');
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return null;
  return pid === process.pid || processAlive(pid);
}
