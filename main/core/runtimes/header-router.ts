import type { ChatRuntimeRequest } from './chat-runtime';
import { splitHeader, splitHeaderSoFar } from './paper-prompt';

/**
 * Streams a character-llm turn (serve_engine.py `_HeaderRouter`): holds text until its `kind):` header is
 * known, then sends speech as `text` and thinking/action as `reasoning` (asides after the first
 * start on a new line, as the reply's joined reasoning does).
 */
export class HeaderRouter {
  private buffer = '';
  private sink: ((chunk: string) => void) | null = null;

  constructor(
    private readonly onDelta: ChatRuntimeRequest['onDelta'],
    private readonly firstAside: boolean,
  ) {}

  feed(text: string): void {
    if (this.sink) {
      if (text) this.sink(text);
      return;
    }
    this.buffer += text;
    const split = splitHeaderSoFar(this.buffer);
    if (split) this.route(split.kind, split.text);
  }

  /** End of the turn: what is still held is routed as the whole text would be. */
  finish(): void {
    if (this.sink === null && this.buffer) {
      const split = splitHeader(this.buffer);
      this.route(split.kind, split.text);
    }
  }

  private route(kind: string | null, rest: string): void {
    if (kind === 'thinking' || kind === 'action') {
      this.sink = (chunk) => this.onDelta({ reasoning: chunk });
      rest = (this.firstAside ? '' : '\n') + (kind === 'action' ? '(action) ' : '') + rest;
    } else {
      this.sink = (chunk) => this.onDelta({ text: chunk });
    }
    if (rest) this.sink(rest);
  }
}
