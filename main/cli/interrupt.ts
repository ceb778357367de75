import { constants } from 'node:os';

/**
 * Ctrl+C for a command that follows long work (a job, a run, a transfer, a log): the first SIGINT
 * (or any of `signals`) calls `stop`, which asks the work to stop, pause or cancel and says so on
 * stderr; the command goes on until the work has ended and reports how. A second one exits at once
 * with 128 + the signal's number (130 for Ctrl+C), the shell's code for a command that signal ended:
 * the person asked twice and does not want to wait.
 *
 * Listens with `on`, not `once`, for as long as the command runs (with `once` the built CLI was seen
 * to die of the signal before the stop completed: models-cli.e2e). Returns the disposer the command
 * calls when it ends (in `finally`), which removes the listeners.
 *
 * `stop` may return the request it sends (`jobs/pause`, `training/stop`…): a failure of that request
 * is left unreported, since the work the command follows reports its own end.
 */
export function onInterrupt(
  stop: () => void | Promise<unknown>,
  signals: readonly NodeJS.Signals[] = ['SIGINT'],
): () => void {
  let asked = false;
  const listener = (signal: NodeJS.Signals): void => {
    if (asked) process.exit(128 + constants.signals[signal]);
    asked = true;
    const sent = stop();
    if (sent) void sent.catch(() => undefined);
  };
  for (const signal of signals) process.on(signal, listener);
  return () => {
    for (const signal of signals) process.off(signal, listener);
  };
}
