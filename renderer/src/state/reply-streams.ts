import { create } from 'zustand';
import type { ChatMessageId, Events } from '../../../common/contract';

/** What has streamed of a reply being written, and whether its model is still loading. */
export interface StreamedReply {
  text: string;
  reasoning: string;
  /** The runtime's loading sentence while its model loads; null once tokens flow. */
  loading: string | null;
}

interface StreamsState {
  streams: ReadonlyMap<ChatMessageId, StreamedReply>;
  delta: (delta: Events['chat/delta']) => void;
  status: (status: Events['chat/status']) => void;
  /** Forgets replies that have ended: their stored text is what the screen shows from then on. */
  forget: (ids: readonly ChatMessageId[]) => void;
}

const EMPTY: StreamedReply = { text: '', reasoning: '', loading: null };

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
 * here by id. Live text of this session, not data: SQLite holds the reply once it has ended.
 */
export const useReplyStreams = create<StreamsState>((set) => ({
  streams: new Map(),
  delta: (d) =>
    set((s) => ({
      streams: updated(s.streams, d.messageId, (r) => ({
        text: r.text + (d.text ?? ''),
        reasoning: r.reasoning + (d.reasoning ?? ''),
        loading: null,
      })),
    })),
  status: (st) =>
    set((s) => ({
      streams: updated(s.streams, st.messageId, (r) => ({
        ...r,
        loading: st.state === 'loading' ? (st.detail ?? 'Loading the model…') : null,
      })),
    })),
  forget: (ids) =>
    set((s) => {
      if (!ids.some((id) => s.streams.has(id))) return s;
      const next = new Map(s.streams);
      for (const id of ids) next.delete(id);
      return { streams: next };
    }),
}));
