/**
 * ShareGPT lines: `{"id", "conversations": [{"from": "system"|"human"|"gpt", "value"}],
 * "character_studio": <ChatMetadata>}`, the shape axolotl and LLaMA-Factory name `sharegpt`.
 */
import { chatList, isRecord, readChatScene } from './chat-codec';
import { chatToolConfigs, type LineFormat } from './line-format';
import { chatMessages, chatMetadata, ItemError } from './scene-record';

const TO_FROM = { system: 'system', user: 'human', assistant: 'gpt' } as const;
const FROM_ROLE: Record<string, string> = {
  system: 'system',
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
};

export const sharegptFormat: LineFormat = {
  id: 'sharegpt',
  describe: 'ShareGPT lines {conversations: [{from, value}]}',
  write: (scene) =>
    JSON.stringify({
      id: scene.id,
      conversations: chatMessages(scene).map((m) => ({ from: TO_FROM[m.role], value: m.content })),
      character_studio: chatMetadata(scene),
    }),
  looks: (value) => 'conversations' in value,
  read(value, names) {
    const { conversations } = value;
    if (!Array.isArray(conversations)) throw new ItemError('conversations must be a list of {from, value}');
    const messages = chatList(
      (conversations as unknown[]).map((m) =>
        isRecord(m) ? { role: FROM_ROLE[String(m.from)] ?? m.from, content: m.value } : m,
      ),
      'conversations',
    );
    const id = typeof value.id === 'string' ? value.id : null;
    return readChatScene(messages, value.character_studio, names, id);
  },
  ...chatToolConfigs({
    field: 'conversations',
    role: 'from',
    content: 'value',
    system: 'system',
    user: 'human',
    assistant: 'gpt',
  }),
};
