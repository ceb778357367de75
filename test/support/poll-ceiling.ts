import { expect } from 'vitest';

/**
 * Proves the project's `expect.poll` ceiling outlasts vitest's 1 s default: a state that turns true
 * only after `lateMs` (1.5 s, a slow render on loaded CI) is still seen by a poll that names no
 * timeout of its own. Shared by the unit and e2e projects, whose configs each set the ceiling.
 */
export async function pollSeesALateState(lateMs = 1_500): Promise<number> {
  const started = performance.now();
  let ready = false;
  const timer = setTimeout(() => (ready = true), lateMs);
  try {
    await expect.poll(() => ready).toBe(true);
  } finally {
    clearTimeout(timer);
  }
  return performance.now() - started;
}
