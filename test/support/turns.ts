/**
 * Counts the event-loop turns (setImmediate callbacks) from now until `stop()`: one for each pass
 * through the loop's check phase, so work that never yields lets none go by.
 */
export function turnCounter(): { turns: () => number; stop: () => void } {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return { turns: () => turns, stop: () => (running = false) };
}

/**
 * Runs `work` and counts the event-loop turns (setImmediate callbacks) that ran while it was under
 * way: work that never yields allows none, so a count above a few shows it let others run.
 */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  const counter = turnCounter();
  try {
    return { result: await work(), turns: counter.turns() };
  } finally {
    counter.stop();
  }
}
