import { alternativePreview } from '../../../common/alternative-preview';
import type { ChatMessageId, ConversationMessage, MessageAlternative, PathStep } from '../../../common/contract';

/**
 * The message tree of one conversation, read from its messages in creation order. Pure: no store.
 * Children of a message are its alternatives, oldest first; the path shown runs from a root to the
 * conversation's leaf.
 */
export class ConversationTree {
  private readonly byId = new Map<ChatMessageId, ConversationMessage>();
  private readonly children = new Map<ChatMessageId | null, ConversationMessage[]>();

  constructor(messages: readonly ConversationMessage[]) {
    for (const m of messages) {
      this.byId.set(m.id, m);
      const list = this.children.get(m.parentId);
      if (list) list.push(m);
      else this.children.set(m.parentId, [m]);
    }
  }

  get(id: ChatMessageId): ConversationMessage | undefined {
    return this.byId.get(id);
  }

  /** The messages from the root down to `leafId` (empty for null or an unknown id). */
  lineage(leafId: ChatMessageId | null): ConversationMessage[] {
    const out: ConversationMessage[] = [];
    for (let id = leafId; id !== null;) {
      const m = this.byId.get(id);
      if (!m) break;
      out.push(m);
      id = m.parentId;
    }
    return out.reverse();
  }

  /** The path to `leafId`, each step with its alternatives and, where it has others, their previews. */
  path(leafId: ChatMessageId | null): PathStep[] {
    return this.lineage(leafId).map((message) => {
      const kin = this.children.get(message.parentId) ?? [];
      const siblings = kin.map((m) => m.id);
      const alternatives = kin.length > 1 ? kin.map((m, i) => alternativeOf(m, i, kin.length)) : [];
      return { message, siblings, index: siblings.indexOf(message.id), alternatives };
    });
  }

  /** How many messages follow `id` down its newest children (0 for a leaf, or for null). */
  continuation(id: ChatMessageId | null): number {
    if (id === null) return 0;
    let count = 0;
    for (let kids = this.children.get(id); kids?.length; kids = this.children.get(kids.at(-1)!.id)) count++;
    return count;
  }

  /**
   * Where browsing to `id` lands: down its newest children to the end, so switching to another
   * alternative shows the conversation that continued from it.
   */
  latestLeaf(id: ChatMessageId): ChatMessageId {
    let current = id;
    for (;;) {
      const kids = this.children.get(current);
      const last = kids?.at(-1);
      if (!last) return current;
      current = last.id;
    }
  }
}

function alternativeOf(m: ConversationMessage, at: number, count: number): MessageAlternative {
  return {
    id: m.id,
    position: at + 1,
    count,
    preview: alternativePreview(m.text),
    edited: m.editedFrom !== null,
    state: m.state,
  };
}
