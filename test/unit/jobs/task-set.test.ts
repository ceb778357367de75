import { describe, expect, it } from 'vitest';
import { TaskSet } from '../../../main/core/jobs/task-set';

/** A promise and the hands that settle it. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('TaskSet', () => {
  it('wakes the waiter when a task ends, with the task already out of the set', async () => {
    const tasks = new TaskSet();
    const a = deferred();
    const b = deferred();
    tasks.add(a.promise);
    tasks.add(b.promise);
    expect(tasks.size).toBe(2);
    const woken = tasks.next();
    b.resolve();
    await woken;
    expect(tasks.size).toBe(1);
    const again = tasks.next();
    a.resolve();
    await again;
    expect(tasks.size).toBe(0);
  });

  it('rejects the wait with the error of a task that rejected, now and at every later wait', async () => {
    const tasks = new TaskSet();
    const a = deferred();
    const b = deferred();
    tasks.add(a.promise);
    tasks.add(b.promise);
    const woken = tasks.next();
    a.reject(new Error('the disk is full'));
    await expect(woken).rejects.toThrow('the disk is full');
    expect(tasks.size).toBe(1);
    // Another task ending while no one waits changes nothing: the failure is still reported.
    b.resolve();
    await b.promise;
    await expect(tasks.next()).rejects.toThrow('the disk is full');
  });

  it('wakes each wait once while a long task stays in flight', async () => {
    const tasks = new TaskSet();
    const slow = deferred();
    tasks.add(slow.promise);
    const ends: Promise<void>[] = [];
    // Many short tasks end one after another while the slow one stays: each wait is woken once.
    for (let i = 0; i < 50; i++) {
      const quick = deferred();
      tasks.add(quick.promise);
      const woken = tasks.next();
      quick.resolve();
      ends.push(woken);
      await woken;
    }
    await Promise.all(ends);
    expect(tasks.size).toBe(1);
    slow.resolve();
    await tasks.next();
    expect(tasks.size).toBe(0);
  });
});
