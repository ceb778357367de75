/**
 * Continue on the embedded chat runtime (`continuing`: the last message is the character's
 * unfinished reply), against a real node-llama-cpp and the tiny random GGUF (tiny-gguf.ts), greedy.
 * With the chat template, a greedy reply cut (where the tiny tokenizer splits it as the model wrote
 * it) and continued writes exactly what the whole reply wrote after the cut: the model was given
 * the text up to the cut as its own open turn, and nothing after it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { settingMessage, type ChatRuntimeMessage, type ChatSampling } from '../../../main/core/runtimes/chat-runtime';
import type { EmbeddedChat } from '../../../main/core/runtimes/embedded-chat';
import { characterLlmContinuation, characterLlmPrompt, PromptError } from '../../../main/core/runtimes/paper-prompt';
import { embeddedChats } from '../../support/embedded-chats';

const TIMEOUT = 120_000;
const beethoven = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' };
const conversation: ChatRuntimeMessage[] = [
  settingMessage({ location: 'Vienna, 1809', status: 'The city is shelled.' }),
  { role: 'user', content: 'Are you afraid?' },
];

const short: ChatSampling = { temperature: 0, topP: 1, maxTokens: 6 };

const chats = embeddedChats('embedded-continue');
let model: string;
beforeAll(() => {
  model = chats.model('tiny.gguf', { seed: 5 });
});

async function reply(chat: EmbeddedChat, messages: ChatRuntimeMessage[], sampling: ChatSampling, continuing = false) {
  const streamed: string[] = [];
  const result = await chat.reply({
    messages,
    sampling,
    signal: new AbortController().signal,
    onDelta: (d) => streamed.push(d.text ?? ''),
    ...(continuing && { continuing }),
  });
  return { ...result, streamed: streamed.join('') };
}

describe('Continue on the embedded runtime', () => {
  it('renders the paper prompt with the unfinished reply as the last, open, speaking turn', () => {
    const partial: ChatRuntimeMessage = { role: 'assistant', content: 'I am not', reasoning: 'He asks me.' };
    const prompt = characterLlmContinuation([...conversation, partial], beethoven);
    expect(prompt).toBe(
      characterLlmPrompt(conversation, beethoven).slice(0, -'Beethoven ('.length) +
        'Beethoven (thinking): He asks me.<|eot|>\nBeethoven (speaking): I am not',
    );
    expect(() => characterLlmContinuation(conversation, beethoven)).toThrow(PromptError);
  });

  it(
    "writes on from the cut, exactly what the whole reply said after it (the model's chat template)",
    async () => {
      const chat = chats.open({ baseGguf: model, format: 'chat', character: beethoven, contextSize: 512 });
      const whole = await reply(chat, conversation, { temperature: 0, topP: 1, maxTokens: 16 });
      const cut = whole.text.slice(0, 8);
      expect(cut.length).toBe(8);
      const more = await reply(chat, [...conversation, { role: 'assistant', content: cut }], short, true);
      expect(more.streamed).toBe(more.text);
      expect(more.text.length).toBeGreaterThan(0);
      expect(whole.text.slice(cut.length).startsWith(more.text)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    "writes on from the open speaking turn, streaming only what is new (the paper's format)",
    async () => {
      const chat = chats.open({ baseGguf: model, format: 'character-llm', character: beethoven, contextSize: 512 });
      // The random model writes no `speaking):` header: a speech is started for it, then continued.
      const start = { role: 'assistant', content: 'Ja, ', reasoning: 'He asks me.' } as const;
      const whole = await reply(chat, [...conversation, start], { temperature: 0, topP: 1, maxTokens: 16 }, true);
      expect(whole.streamed).toBe(whole.text);
      const cut = start.content + whole.text.slice(0, 8);
      const more = await reply(chat, [...conversation, { ...start, content: cut }], short, true);
      expect(more.streamed).toBe(more.text);
      expect(more.text.length).toBeGreaterThan(0);
      // The prompt ends after the cut: it grew by it, and the model wrote only what comes next.
      expect(more.promptTokens!).toBeGreaterThan(whole.promptTokens!);
      expect(more).toMatchObject({ finish: 'length', completionTokens: short.maxTokens, reasoning: null });
    },
    TIMEOUT,
  );
});
