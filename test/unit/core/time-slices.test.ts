import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nextTurn } from '../../../main/core/time-slices';

/** Runs `work` in an I/O callback, where a request's handler runs, and waits for it to say it is done. */
function inIoCallback(work: (done: () => void) => void): Promise<void> {
  return new Promise((resolve) => fs.stat(import.meta.filename, () => work(resolve)));
}

describe('nextTurn', () => {
  it('lets the loop run its due timers first, even from an I/O callback, where one setImmediate does not', async () => {
    const order: string[] = [];
    await inIoCallback((done) => {
      setTimeout(() => order.push('timer'), 0);
      // The timer is due before the callback returns (its least delay is 1 ms).
      const until = performance.now() + 3;
      while (performance.now() < until);
      void new Promise<void>((resolve) => setImmediate(resolve)).then(() => order.push('one immediate'));
      void nextTurn().then(() => {
        order.push('next turn');
        done();
      });
    });
    expect(order).toEqual(['one immediate', 'timer', 'next turn']);
  });
});
