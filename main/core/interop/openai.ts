/**
 * OpenAI chat fine-tuning lines: `{"messages": [{"role", "content"}], "character_studio": <ChatMetadata>}`.
 * OpenAI's own checks look at message keys only, so the metadata beside them is accepted; the
 * Hugging Face folder uses the same lines (TRL's conversational shape).
 */
import { chatList, readChatScene } from './chat-codec';
import { chatToolConfigs, type LineFormat } from './line-format';
import { chatMessages, chatMetadata } from './scene-record';

export const openaiFormat: LineFormat = {
  id: 'openai',
  describe: 'OpenAI chat lines {messages: [{role, content}]}',
  write: (scene) => JSON.stringify({ messages: chatMessages(scene), character_studio: chatMetadata(scene) }),
  looks: (value) => 'messages' in value,
  read(value, names) {
    const messages = chatList(value.messages, 'messages');
    const id = typeof value.id === 'string' ? value.id : null;
    return readChatScene(messages, value.character_studio, names, id);
  },
  ...chatToolConfigs({
    field: 'messages',
    role: 'role',
    content: 'content',
    system: 'system',
    user: 'user',
    assistant: 'assistant',
  }),
};
