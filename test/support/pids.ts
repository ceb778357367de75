import { spawnSync } from 'node:child_process';

/** A pid no process has now: a child's, once it has exited and been reaped. */
export function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  if (!pid) throw new Error('The child process did not start.');
  return pid;
}
