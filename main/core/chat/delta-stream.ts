import type { ChatDelta } from '../runtimes/chat-runtime';

/** Where a piece of a reply starts: the length of the speech and of the thoughts before it (UTF-16 units). */
export interface DeltaOffsets {
  text: number;
  reasoning: number;
}

/** The least time between two `chat/delta` events of one reply, in milliseconds (~30 a second). */
export const DELTA_INTERVAL_MS = 33;

/**
 * Gathers a streaming reply's pieces and hands them on at most once per `intervalMs`: the first
 * piece at once (the time to first text is not delayed), later ones joined in order. A local model
 * writes a thousand tokens a second or more; an event per token would make every window that shows
 * the reply repaint a thousand times a second, and a page busy doing so cannot even take the click
 * on Stop. Speech and thoughts are joined apart, as they stream apart. `flush()` hands on what is
 * left at once; call it before anything that must follow the text (a status, the reply's end).
 * Each piece goes with its offsets, so a window that starts from the text written so far (opened
 * or reloaded mid-reply) can tell which pieces it already has.
 */
export class DeltaStream {
  private text = '';
  private reasoning = '';
  private timer: NodeJS.Timeout | null = null;
  private lastAt = -Infinity;
  /** How much speech and how many thoughts were handed on before the next piece (its offsets). */
  private readonly sent: DeltaOffsets;

  constructor(
    private readonly emit: (delta: ChatDelta, at: DeltaOffsets) => void,
    private readonly intervalMs = DELTA_INTERVAL_MS,
    /** What the reply had said before the first piece (Continue: the text it goes on from). */
    start: { text: string; reasoning: string } = { text: '', reasoning: '' },
  ) {
    this.sent = { text: start.text.length, reasoning: start.reasoning.length };
  }

  push(delta: ChatDelta): void {
    this.text += delta.text ?? '';
    this.reasoning += delta.reasoning ?? '';
    if (this.timer) return;
    const wait = this.lastAt + this.intervalMs - performance.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.text === '' && this.reasoning === '') return;
    const delta: ChatDelta = {};
    if (this.text !== '') delta.text = this.text;
    if (this.reasoning !== '') delta.reasoning = this.reasoning;
    const at = { ...this.sent };
    this.sent.text += this.text.length;
    this.sent.reasoning += this.reasoning.length;
    this.text = '';
    this.reasoning = '';
    this.lastAt = performance.now();
    this.emit(delta, at);
  }
}
