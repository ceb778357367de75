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
