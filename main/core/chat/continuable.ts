import type { ChatMessageId, ConversationId, ConversationMessage } from '../../../common/contract';
import type { ConversationsRepo } from '../../store/conversations-repo';
import { StudioFailure } from '../errors';
import { ConversationTree } from './conversation-tree';

/**
 * The reply `messageId` of conversation `id` if Continue can go on from it: the character's, stopped
 * or cut off, with some speech, and the last of its branch (going on from a reply the conversation
 * went on from would change what was answered). Otherwise a failure saying what to do instead.
 */
export function continuable(
  repo: Pick<ConversationsRepo, 'message' | 'messages'>,
  id: ConversationId,
  messageId: ChatMessageId,
): ConversationMessage & { parentId: ChatMessageId } {
  const message = repo.message(messageId);
  if (!message || message.conversationId !== id)
    throw new StudioFailure('not_found', 'That reply is not part of this conversation any more.');
  if (message.role !== 'character' || message.parentId === null)
    throw new StudioFailure('invalid_argument', "Only the character's replies can go on: pick one of its replies.");
  if (message.state !== 'cut' && message.state !== 'cancelled')
    throw new StudioFailure(
      'invalid_argument',
      'This reply ended by itself, so there is nothing to continue: Regenerate writes another one.',
    );
  if (message.text.trim() === '')
    throw new StudioFailure(
      'invalid_argument',
      'This reply stopped before its first word, so there is nothing to go on from: Retry writes it again.',
    );
  if (new ConversationTree(repo.messages(id)).continuation(messageId) > 0)
    throw new StudioFailure(
      'invalid_argument',
      'The conversation went on after this reply, so continuing it would change what was answered: Edit it, or Regenerate it as a new alternative.',
    );
  return message as ConversationMessage & { parentId: ChatMessageId };
}
