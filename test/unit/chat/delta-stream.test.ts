import { describe, expect, it } from 'vitest';
import { DeltaStream, type DeltaOffsets } from '../../../main/core/chat/delta-stream';
import type { ChatDelta } from '../../../main/core/runtimes/chat-runtime';

// A reply's pieces reach the windows at a pace they can paint: the first at once, the rest joined
// per interval, in order, speech and thoughts apart, nothing lost or doubled.

function recorder() {
  const emitted: ChatDelta[] = [];
  const offsets: DeltaOffsets[] = [];
  let wake: (() => void) | null = null;
  return {
    emitted,
    offsets,
    emit: (delta: ChatDelta, at: DeltaOffsets) => {
      emitted.push(delta);
      offsets.push(at);
      wake?.();
    },
    /** Resolves once `count` deltas have been handed on. */
    until: (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => (emitted.length >= count ? resolve() : (wake = check));
        check();
      }),
  };
}

describe('a streaming reply handed on in pieces', () => {
  it('hands on the first piece at once and joins a burst of later ones into one', async () => {
    const out = recorder();
    const stream = new DeltaStream(out.emit, 20);
    const words = Array.from({ length: 1000 }, (_, i) => `w${i} `);
    for (const word of words) stream.push({ text: word });
    stream.push({ reasoning: 'he hesitates' });
    expect(out.emitted).toEqual([{ text: 'w0 ' }]);
    await out.until(2);
    expect(out.emitted).toHaveLength(2);
    expect(out.emitted[1]).toEqual({ text: words.slice(1).join(''), reasoning: 'he hesitates' });
  });

  it('flush hands on what is left at once, and nothing after it', () => {
    const out = recorder();
    const stream = new DeltaStream(out.emit, 60_000);
    stream.push({ text: 'Sit ' });
    stream.push({ text: 'down.' });
    stream.push({ reasoning: 'He is late.' });
    stream.flush();
    stream.flush();
    expect(out.emitted).toEqual([{ text: 'Sit ' }, { text: 'down.', reasoning: 'He is late.' }]);
    // The timer of the second piece was cleared: a later piece waits for the interval, not for it.
    stream.push({ text: ' Now.' });
    expect(out.emitted).toHaveLength(2);
    stream.flush();
    expect(out.emitted.map((d) => d.text ?? '').join('')).toBe('Sit down. Now.');
    // Each piece says where it starts in the speech and in the thoughts (a window opened mid-reply
    // places it by them).
    expect(out.offsets).toEqual([
      { text: 0, reasoning: 0 },
      { text: 4, reasoning: 0 },
      { text: 9, reasoning: 11 },
    ]);
  });
});
