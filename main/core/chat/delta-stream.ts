import type { ChatDelta } from '../runtimes/chat-runtime';

/** The least time between two `chat/delta` events of one reply, in milliseconds (~30 a second). */
export const DELTA_INTERVAL_MS = 33;

/**
 * Gathers a streaming reply's pieces and hands them on at most once per `intervalMs`: the first
 * piece at once (the time to first text is not delayed), later ones joined in order. A local model
 * writes a thousand tokens a second or more; an event per token would make every window that shows
 * the reply repaint a thousand times a second, and a page busy doing so cannot even take the click
 * on Stop. Speech and thoughts are joined apart, as they stream apart. `flush()` hands on what is
 * left at once; call it before anything that must follow the text (a status, the reply's end).
 */
export class DeltaStream {
  private text = '';
  private reasoning = '';
  private timer: NodeJS.Timeout | null = null;
  private lastAt = -Infinity;

  constructor(
    private readonly emit: (delta: ChatDelta) => void,
    private readonly intervalMs = DELTA_INTERVAL_MS,
  ) {}

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
    this.text = '';
    this.reasoning = '';
    this.lastAt = performance.now();
    this.emit(delta);
  }
}
