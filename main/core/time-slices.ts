/**
 * Long CPU work on the thread that answers requests (the web door's HTTP server, the desktop's IPC)
 * is written as a generator that yields at safe points, and one of these drivers runs it:
 * `runSliced` gives the event loop a turn whenever a slice of `sliceMs` milliseconds has been
 * spent, so other requests are answered while a big profile is read; `runSync` runs it straight
 * through, for small inputs and pure functions. Both run the same steps, so both give the same result.
 */
export type Steps<T> = Generator<void, T, undefined>;

export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Default slice: short enough that a request waiting behind it is answered without a noticeable delay. */
export const SLICE_MS = 10;

/**
 * Resolves once the event loop has had a turn: its timers and waiting I/O (another request) run
 * first. One `setImmediate` is not enough from an I/O callback (a request being answered): the
 * immediate runs in the same turn, straight after it, and the two pieces of work hold the loop as
 * one. An immediate set from an immediate waits for the next turn, so the second one always does.
 */
export async function nextTurn(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}

export async function runSliced<T>(steps: Steps<T>, sliceMs = SLICE_MS): Promise<T> {
  let deadline = performance.now() + sliceMs;
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() >= deadline) {
      await nextTurn();
      deadline = performance.now() + sliceMs;
    }
  }
}

/**
 * Says when a step has done enough work (in characters, say) to offer a yield, so loops over
 * millions of short lines do not pay for a yield and a clock read on every line.
 */
export class WorkMeter {
  private done = 0;
  constructor(private readonly every = 65_536) {}

  /** Adds `units` of work; true once `every` units have passed since the last true. */
  add(units: number): boolean {
    this.done += units;
    if (this.done < this.every) return false;
    this.done = 0;
    return true;
  }
}
