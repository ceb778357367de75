import type {
  Character,
  ChatMessageId,
  CommandArg,
  ConversationId,
  ConversationSetting,
  Scene,
} from '../../../common/contract';
import { DEFAULT_CHAT_SAMPLING } from '../runtimes/chat-runtime';
import type { ChatServiceDeps } from './chat-service';
import { linesOfScene, settingOfScene } from './scene-bridge';

/**
 * How a conversation begins: its stored record (title, setting, whom the user speaks as, sampling)
 * and, started from a dataset scene, the scene's turns as its first messages. Its own file because
 * it only writes a new conversation from checked inputs: `ChatService` checks the character, the
 * target and the scene, then hands them here. The title rules live here too, as the user's first
 * message names a conversation started without a title.
 */

/** The title of a conversation nobody named: the user's first message replaces it (`titleOf`). */
export const NEW_TITLE = 'New conversation';
const TITLE_CHARS = 60;

/** The title a new conversation takes from the user's first message. */
export function titleOf(firstMessage: string): string {
  return clip(firstMessage, TITLE_CHARS);
}

export function cleanSetting(setting: ConversationSetting): ConversationSetting {
  return { location: setting.location.trim(), status: setting.status.trim() };
}

function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1).trimEnd()}…`;
}

/**
 * Stores a new conversation with `character` (and `scene`'s history when it starts from one) and
 * returns its id; the leaf is the scene's last line.
 */
export function startConversation(
  deps: Pick<ChatServiceDeps, 'repo' | 'clock' | 'newId'>,
  arg: CommandArg<'chat/create'>,
  character: Character,
  scene: Scene | null,
): ConversationId {
  const setting = cleanSetting(arg.setting ?? (scene ? settingOfScene(scene) : { location: '', status: '' }));
  const lines = scene ? linesOfScene(scene, character.shortName) : [];
  const id = deps.newId() as ConversationId;
  const now = deps.clock.now();
  const title = arg.title?.trim() || (scene ? `From the scene “${clip(scene.location || scene.type, 40)}”` : NEW_TITLE);
  deps.repo.create(
    {
      id,
      characterId: arg.characterId,
      title,
      target: arg.target,
      runtime: arg.runtime,
      setting,
      // Unnamed, a scene's history goes on with its other person speaking (its last user line).
      userName: arg.userName || lines.findLast((l) => l.role === 'user')?.speaker || '',
      sampling: { ...DEFAULT_CHAT_SAMPLING, ...arg.sampling },
      sourceSceneId: scene?.id ?? null,
    },
    now,
  );
  let parent: ChatMessageId | null = null;
  for (const line of lines) {
    const messageId = deps.newId() as ChatMessageId;
    deps.repo.addMessage(
      {
        id: messageId,
        conversationId: id,
        parentId: parent,
        ...line,
        state: 'complete',
        producer: null,
        editedFrom: null,
      },
      now,
    );
    parent = messageId;
  }
  return id;
}
