/**
 * A pump's tasks in flight, and a wait for the next of them to end. A pump loop (start what the
 * window allows, wait for one to end, start again) waited with `Promise.race(tasks)`, which
 * subscribes to every task in flight at each wait: with 32 in flight, a job of 700 items left
 * 22,000 reactions to allocate and settle. Here each task has one.
 *
 * Contract: `next()` resolves when a task ends after the call, or rejects with the error of a task
 * that rejected (the first one, and at once if it already has): a pump loop fails as it did with
 * `race`. A task that ends while no one waits wakes no one; the pump that runs after the wait sees
 * what it changed. Tasks leave the set as they end, before the wait resolves.
 */
export class TaskSet {
  private readonly tasks = new Set<Promise<unknown>>();
  private wake: (() => void) | null = null;
  private failure: { error: unknown } | null = null;

  get size(): number {
    return this.tasks.size;
  }

  add(task: Promise<unknown>): void {
    this.tasks.add(task);
    task.then(
      () => this.ended(task),
      (error: unknown) => {
        this.failure ??= { error };
        this.ended(task);
      },
    );
  }

  next(): Promise<void> {
    // The task's own rejection, passed on as it came (as `Promise.race` did).
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise<void>((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      this.wake = () => (this.failure ? reject(this.failure.error) : resolve());
    });
  }

  private ended(task: Promise<unknown>): void {
    this.tasks.delete(task);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
