import type { CharacterId, ChatMessageId, Conversation, ConversationHit } from '../../../common/contract';
import { markTerms, searchTerms } from '../../../common/search-query';
import type { ConversationsRepo } from '../../store/conversations-repo';
import { ConversationTree } from './conversation-tree';

/**
 * The character's conversations, most recent first, or with `query` (trimmed, non-empty) those
 * whose title or messages match it (FTS5), best first: each with the message found, the words
 * around it marked, and where the message sits (so a screen or the terminal can go to it).
 */
export function searchConversations(
  repo: Pick<ConversationsRepo, 'list' | 'search' | 'get' | 'messages'>,
  characterId: CharacterId,
  query: string,
): ConversationHit[] {
  if (query === '')
    return repo.list(characterId).map((c) => ({ conversation: c, messageId: null, place: null, snippet: [] }));
  // The words around the match, marked as the dataset's search marks them (a bracket typed in a
  // message is text, never a mark).
  const terms = searchTerms(query);
  return repo.search(characterId, ftsQuery(query)).flatMap((hit) => {
    const conversation = repo.get(hit.conversationId);
    if (!conversation) return [];
    const snippet = hit.snippet === '' ? [] : markTerms(hit.snippet, terms);
    const place = placeOf(repo, conversation, hit.messageId);
    return [{ conversation, messageId: hit.messageId, place, snippet }];
  });
}

/** Where a message found by a search sits: how far down its branch, and whether that branch is shown. */
function placeOf(
  repo: Pick<ConversationsRepo, 'messages'>,
  conversation: Conversation,
  messageId: ChatMessageId | null,
): ConversationHit['place'] {
  if (messageId === null) return null;
  const tree = new ConversationTree(repo.messages(conversation.id));
  return {
    position: tree.lineage(messageId).length,
    onPath: tree.lineage(conversation.leafId).some((m) => m.id === messageId),
  };
}

/**
 * What the user typed as an FTS5 query: each word a quoted prefix term, all required, so quotes,
 * operators and punctuation in the text search for themselves instead of failing the query.
 */
export function ftsQuery(text: string): string {
  return text
    .split(/\s+/)
    .map((w) => w.replace(/"/g, '""'))
    .filter((w) => w !== '')
    .map((w) => `"${w}"*`)
    .join(' ');
}
