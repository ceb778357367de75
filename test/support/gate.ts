/**
 * A gate a fake server's responder waits at, so a test decides when answers come instead of racing
 * them: while it is shut, every `passed()` stays pending; `open()` lets all waiting (and later)
 * callers through until it is shut again. Starts open.
 */
export interface Gate {
  /** Resolves once the gate is open (at once if it is). */
  passed(): Promise<void>;
  open(): void;
  shut(): void;
}

export function gate(): Gate {
  let waiting: Promise<void> = Promise.resolve();
  let release: (() => void) | null = null;
  return {
    passed: () => waiting,
    open() {
      release?.();
      release = null;
      waiting = Promise.resolve();
    },
    shut() {
      if (release) return;
      waiting = new Promise<void>((resolve) => (release = resolve));
    },
  };
}

/**
 * One call held at a fake server: its responder calls `arrive()` and waits for `released`; the test
 * waits for `entered` (the call is out), does what must happen meanwhile, then calls `release()`.
 */
export interface HeldCall {
  /** Resolves once the held request has reached the server. */
  entered: Promise<void>;
  arrive: () => void;
  release: () => void;
  released: Promise<void>;
}

export function heldCall(): HeldCall {
  let release!: () => void;
  let arrive!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const entered = new Promise<void>((resolve) => (arrive = resolve));
  return { entered, arrive, release, released };
}
