import { useEffect, useRef, useState, type RefObject } from 'react';
import type { ChatMessageId, ConversationId, ConversationView } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke } from '../../lib/queries';
import { useUi } from '../../state/ui';

/** How long a message found by a search stays marked once scrolled into view (ms). */
const FOUND_MS = 2400;

/** A message a search found, to show when its conversation opens (`seq`: each choice anew). */
export interface FoundMessage {
  conversationId: ConversationId;
  messageId: ChatMessageId;
  seq: number;
}

/**
 * Brings a message found by a search into view: its branch first when the path shown does not hold
 * it (`chat/select`, which the view then follows), then scrolled to the middle and focused, the
 * view no longer following the bottom.
 */
export function useFoundMessage({
  id,
  view,
  found,
  onShown,
  list,
  setStuck,
}: {
  id: ConversationId;
  view: ConversationView | undefined;
  found: FoundMessage | null;
  onShown: () => void;
  list: RefObject<HTMLOListElement | null>;
  setStuck: (stuck: boolean) => void;
}) {
  const toast = useUi((s) => s.toast);
  /** The choice whose branch was asked for: asked once, then the view is awaited. */
  const asked = useRef<number | null>(null);
  useEffect(() => {
    if (!found || !view) return;
    const shown = view.path.some((s) => s.message.id === found.messageId);
    if (!shown) {
      if (asked.current === found.seq) return;
      asked.current = found.seq;
      invoke('chat/select', { messageId: found.messageId, conversationId: id })
        .then((next) => {
          if (!next.path.some((s) => s.message.id === found.messageId)) onShown();
        })
        .catch((error: unknown) => {
          toast({ kind: 'error', text: messageOf(error) });
          onShown();
        });
      return;
    }
    const el = list.current;
    const row = el?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(found.messageId)}"]`);
    if (!el || !row) return;
    setStuck(false);
    // The list alone scrolls, the message to its middle (scrollIntoView would move the page too).
    const [box, rowBox] = [el.getBoundingClientRect(), row.getBoundingClientRect()];
    el.scrollTop += rowBox.top - box.top - Math.max(0, (box.height - rowBox.height) / 2);
    row.focus({ preventScroll: true });
    onShown();
  }, [found, view, id, onShown, list, setStuck, toast]);
}

/** Which message wears the "found" mark: the one a search chose, from when it is shown until FOUND_MS later. */
export function useFoundMark(found: FoundMessage | null, view: ConversationView | undefined): ChatMessageId | null {
  const [marked, setMarked] = useState<ChatMessageId | null>(null);
  const shown = found !== null && view?.path.some((s) => s.message.id === found.messageId) === true;
  useEffect(() => {
    if (shown) setMarked(found.messageId);
  }, [shown, found]);
  useEffect(() => {
    if (marked === null) return;
    const timer = setTimeout(() => setMarked(null), FOUND_MS);
    return () => clearTimeout(timer);
  }, [marked]);
  return marked;
}
