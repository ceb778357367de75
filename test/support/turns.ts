/**
 * Runs `work` and counts the event-loop turns (setImmediate callbacks) that ran while it was under
 * way: work that never yields allows none, so a count above a few shows it let others run.
 */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { result: await work(), turns };
  } finally {
    running = false;
  }
}
