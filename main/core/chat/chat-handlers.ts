import type { ChatCommands } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { ChatService } from './chat-service';

/** The chat commands, one line each (joined into the studio's handlers). */
export function chatHandlers(chat: ChatService): Pick<Handlers, keyof ChatCommands> {
  return {
    'chat/targets': ({ characterId }) => chat.targets(characterId),
    'chat/list': ({ characterId, query }) => chat.list(characterId, query),
    'chat/create': (arg) => chat.create(arg),
    'chat/get': ({ id }) => chat.view(id),
    'chat/match': ({ key }) => chat.match(key),
    'chat/update': ({ id, ...patch }) => chat.update(id, patch),
    'chat/delete': ({ id }) => chat.delete(id),
    'chat/send': ({ conversationId, text, sampling }) => chat.send(conversationId, text, sampling),
    'chat/reply': ({ conversationId, parentId, sampling }) => chat.reply(conversationId, parentId, sampling),
    'chat/continue': ({ conversationId, messageId, sampling }) => chat.continue(conversationId, messageId, sampling),
    'chat/stop': ({ conversationId }) => chat.stop(conversationId),
    'chat/edit': ({ messageId, text, reasoning }) => chat.edit(messageId, text, reasoning),
    'chat/select': ({ messageId, branch, conversationId }) => chat.select(messageId, branch, conversationId),
    'chat/export': ({ id, format }) => chat.export(id, format),
    'chat/correct': ({ messageId }) => chat.correct(messageId),
  };
}
