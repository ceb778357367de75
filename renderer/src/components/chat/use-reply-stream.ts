import { useCallback, useState } from 'react';
import type { ChatMessageId, ConversationId, Events } from '../../../../common/contract';
import { useStudioEvent } from '../../lib/queries';

/** What has streamed of a reply being written, and whether its model is still loading. */
export interface StreamedReply {
  text: string;
  reasoning: string;
  /** The runtime's loading sentence while its model loads; null once tokens flow. */
  loading: string | null;
}

/**
 * The replies of one conversation as they stream (`chat/delta`, `chat/status`), by message id.
 * Deltas may come before the screen has fetched the message they belong to: they are kept by id
 * and shown as soon as the message is. The stored text replaces them once the reply has ended.
 */
export function useReplyStream(conversationId: ConversationId): ReadonlyMap<ChatMessageId, StreamedReply> {
  const [streams, setStreams] = useState<ReadonlyMap<ChatMessageId, StreamedReply>>(new Map());
  const update = useCallback(
    (messageId: ChatMessageId, change: (s: StreamedReply) => StreamedReply) =>
      setStreams((current) => {
        const next = new Map(current);
        next.set(messageId, change(current.get(messageId) ?? { text: '', reasoning: '', loading: null }));
        return next;
      }),
    [],
  );
  const onDelta = useCallback(
    (delta: Events['chat/delta']) => {
      if (delta.conversationId !== conversationId) return;
      update(delta.messageId, (s) => ({
        text: s.text + (delta.text ?? ''),
        reasoning: s.reasoning + (delta.reasoning ?? ''),
        loading: null,
      }));
    },
    [conversationId, update],
  );
  const onStatus = useCallback(
    (status: Events['chat/status']) => {
      if (status.conversationId !== conversationId) return;
      update(status.messageId, (s) => ({
        ...s,
        loading: status.state === 'loading' ? (status.detail ?? 'Loading the model…') : null,
      }));
    },
    [conversationId, update],
  );
  useStudioEvent('chat/delta', onDelta);
  useStudioEvent('chat/status', onStatus);
  return streams;
}
