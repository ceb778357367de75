import { create } from 'zustand';
import type { ChatMessageId, Events } from '../../../common/contract';

type Delta = Events['chat/delta'];

/** What has streamed of a reply being written, and whether its model is still loading. */
export interface StreamedReply {
  text: string;
  reasoning: string;
  /** The runtime's loading sentence while its model loads; null once tokens flow. */
  loading: string | null;
  /** Pieces that start past what is here (this window opened mid-reply): applied once the text before them is. */
  held: readonly Delta[];
}

interface StreamsState {
  streams: ReadonlyMap<ChatMessageId, StreamedReply>;
  /**
   * Adds a piece where its offsets say. Returns true when pieces wait for text this window lacks
   * (it opened mid-reply and its view is older than the events): the view should be fetched again.
   */
  delta: (delta: Delta) => boolean;
  status: (status: Events['chat/status']) => void;
  /** What the stored view says the reply has written so far (`chat/get`): the start of its text. */
  seed: (id: ChatMessageId, text: string, reasoning: string) => void;
  /** Forgets replies that have ended: their stored text is what the screen shows from then on. */
  forget: (ids: readonly ChatMessageId[]) => void;
}

const EMPTY: StreamedReply = { text: '', reasoning: '', loading: null, held: [] };

/** `piece` at `at` of `text`: what it adds past the end (text already there is the same text). */
function extended(text: string, at: number, piece: string | undefined): string | null {
  if (!piece) return text;
  if (at > text.length) return null;
  return at + piece.length <= text.length ? text : text.slice(0, at) + piece;
}

/** The reply with `delta` applied, or null when text before it is missing. */
function applied(reply: StreamedReply, delta: Delta): StreamedReply | null {
  const text = extended(reply.text, delta.at.text, delta.text);
  const reasoning = extended(reply.reasoning, delta.at.reasoning, delta.reasoning);
  return text === null || reasoning === null ? null : { ...reply, text, reasoning, loading: null };
}

/** Applies the held pieces that now fit, in the order they came, until none does. */
function drained(reply: StreamedReply): StreamedReply {
  let current = reply;
  for (let progress = true; progress && current.held.length > 0;) {
    progress = false;
    for (const piece of current.held) {
      const next = applied(current, piece);
      if (next) {
        current = { ...next, held: current.held.filter((p) => p !== piece) };
        progress = true;
        break;
      }
    }
  }
  return current;
}

function updated(
  streams: ReadonlyMap<ChatMessageId, StreamedReply>,
  id: ChatMessageId,
  change: (s: StreamedReply) => StreamedReply,
): Map<ChatMessageId, StreamedReply> {
  const next = new Map(streams);
  next.set(id, change(streams.get(id) ?? EMPTY));
  return next;
}

/**
 * Replies as they stream (`chat/delta`, `chat/status`), by message id, for the whole window: fed
 * by one subscription (`subscribeToStudioEvents`), so a conversation opened again mid-reply shows
 * everything written so far. Deltas may come before the screen has fetched their message: they wait
 * here by id. A window (re)loaded mid-reply starts from the text its view holds (`seed`) and places
 * each piece by its offsets, so nothing is shown twice or skipped. Live text of this session, not
 * data: SQLite holds the reply once it has ended.
 */
export const useReplyStreams = create<StreamsState>((set, get) => ({
  streams: new Map(),
  delta: (d) => {
    set((s) => ({
      streams: updated(s.streams, d.messageId, (r) => {
        const next = applied(r, d);
        return next ? drained(next) : { ...r, held: [...r.held, d] };
      }),
    }));
    return (get().streams.get(d.messageId)?.held.length ?? 0) > 0;
  },
  status: (st) =>
    set((s) => ({
      streams: updated(s.streams, st.messageId, (r) => ({
        ...r,
        loading: st.state === 'loading' ? (st.detail ?? 'Loading the model…') : null,
      })),
    })),
  seed: (id, text, reasoning) =>
    set((s) => {
      const r = s.streams.get(id) ?? EMPTY;
      if (text.length <= r.text.length && reasoning.length <= r.reasoning.length) return s;
      return {
        streams: updated(s.streams, id, () =>
          drained({
            ...r,
            text: text.length > r.text.length ? text : r.text,
            reasoning: reasoning.length > r.reasoning.length ? reasoning : r.reasoning,
          }),
        ),
      };
    }),
  forget: (ids) =>
    set((s) => {
      if (!ids.some((id) => s.streams.has(id))) return s;
      const next = new Map(s.streams);
      for (const id of ids) next.delete(id);
      return { streams: next };
    }),
}));
