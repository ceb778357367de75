/**
 * The paper format's thinking loop (issue #11, point 3) on a real node-llama-cpp model, steered by
 * design instead of by training: a tiny GGUF (test/support/thinking-gguf.ts, CPU, one thread) whose
 * weights are set so that greedy decoding writes a known turn. After the prime `Beethoven (` it
 * writes the thought `thinking): hmm` and its end; primed again with the thought in its context, it
 * writes `speaking): yes<|eot|>`. How the weights do that: the support file.
 */
import { describe, expect, it } from 'vitest';
import { settingMessage, type ChatDelta, type ChatRuntimeMessage } from '../../../main/core/runtimes/chat-runtime';
import type { EmbeddedChat } from '../../../main/core/runtimes/embedded-chat';
import { MAX_ASIDES } from '../../../main/core/runtimes/paper-prompt';
import { writeThinkingGguf, type ThinkingDesign } from '../../support/thinking-gguf';
import { embeddedChats } from '../../support/embedded-chats';

const TIMEOUT = 120_000;
const beethoven = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' };
const conversation: ChatRuntimeMessage[] = [
  settingMessage({ location: 'Vienna, 1809', status: 'The city is shelled.' }),
  { role: 'user', content: 'Are you afraid?' },
];

const chats = embeddedChats('embedded-thinking');

function designed(name: string, design: ThinkingDesign): EmbeddedChat {
  const model = writeThinkingGguf(chats.path(`${name}.gguf`), design);
  return chats.open({ baseGguf: model, format: 'character-llm', character: beethoven, contextSize: 1024 });
}

async function ask(chat: EmbeddedChat, maxTokens = 64) {
  const deltas: ChatDelta[] = [];
  const reply = await chat.reply({
    messages: conversation,
    sampling: { temperature: 0, topP: 1, maxTokens },
    signal: new AbortController().signal,
    onDelta: (d) => deltas.push(d),
  });
  const streamed = {
    text: deltas.map((d) => d.text ?? '').join(''),
    reasoning: deltas.map((d) => d.reasoning ?? '').join(''),
  };
  return { reply, streamed };
}

describe('the thinking loop on a real model', () => {
  it(
    'a thinking turn becomes reasoning, the character is primed again, and the speaking turn is the reply',
    async () => {
      const { reply, streamed } = await ask(
        designed('thinks-then-speaks', { speaksAfterThinking: true, asideEnd: '<|eot|>' }),
      );
      expect(reply).toMatchObject({ text: 'yes', reasoning: 'hmm', finish: 'stop' });
      // Streamed apart, and nothing of the thought or the headers in the speech.
      expect(streamed).toEqual({ text: 'yes', reasoning: 'hmm' });
      // Two turns of three tokens each: header, word, <|eot|>.
      expect(reply.completionTokens).toBe(6);
    },
    TIMEOUT,
  );

  it(
    'an aside ended by the end-of-sequence token is still an aside, as the trainer’s serve reads it',
    async () => {
      const { reply, streamed } = await ask(designed('thinks-to-eos', { speaksAfterThinking: true, asideEnd: '</s>' }));
      expect(reply).toMatchObject({ text: 'yes', reasoning: 'hmm', finish: 'stop' });
      expect(streamed).toEqual({ text: 'yes', reasoning: 'hmm' });
    },
    TIMEOUT,
  );

  it(
    'a model that only thinks is stopped after MAX_ASIDES more asides, with no speech and finish length',
    async () => {
      const chat = designed('only-thinks', { speaksAfterThinking: false, asideEnd: '<|eot|>' });
      const { reply, streamed } = await ask(chat);
      const thoughts = Array.from({ length: MAX_ASIDES + 1 }, () => 'hmm');
      expect(reply).toMatchObject({ text: '', reasoning: thoughts.join('\n'), finish: 'length' });
      expect(reply.completionTokens).toBe(3 * (MAX_ASIDES + 1));
      expect(streamed).toEqual({ text: '', reasoning: thoughts.join('\n') });
      // The token limit inside a thought: cut there, still no speech.
      const cut = await ask(chat, 2);
      expect(cut.reply).toMatchObject({ text: '', reasoning: 'hmm', finish: 'length', completionTokens: 2 });
      expect(cut.streamed.text).toBe('');
      // The limit across asides: the budget is shared, never exceeded. The third thought is cut
      // right after its header: an empty aside, as serve_engine.py counts it.
      const shared = await ask(chat, 7);
      expect(shared.reply).toMatchObject({ text: '', reasoning: 'hmm\nhmm\n', finish: 'length', completionTokens: 7 });
      expect(shared.streamed).toEqual({ text: '', reasoning: 'hmm\nhmm\n' });
    },
    TIMEOUT,
  );
});
