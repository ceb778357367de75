/**
 * The embedded chat runtime against a real node-llama-cpp and the tiny random GGUF of
 * test/support/tiny-gguf.ts (CPU, one thread). Random weights allow structure, not meaning: greedy
 * decoding is deterministic and the tiny model's EOS logit is pinned at 0, so it never stops on its
 * own and every reply runs into the token limit unless cancelled.
 */
import type { Token } from 'node-llama-cpp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  settingMessage,
  type ChatDelta,
  type ChatRuntimeMessage,
  type ChatSampling,
} from '../../../main/core/runtimes/chat-runtime';
import type { EmbeddedChat } from '../../../main/core/runtimes/embedded-chat';
import { HeaderRouter } from '../../../main/core/runtimes/header-router';
import { firstStop, heldBack } from '../../../main/core/runtimes/embedded-generate';
import { characterLlmPrompt, splitHeader } from '../../../main/core/runtimes/paper-prompt';
import { nodeLlamaCpp } from '../../../main/core/llm/embedded-model';
import { embeddedChats } from '../../support/embedded-chats';
import { TEST_THREADS } from '../../support/tiny-gguf';

const TIMEOUT = 120_000;
const greedy: ChatSampling = { temperature: 0, topP: 1, maxTokens: 12 };
const beethoven = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' };
const conversation: ChatRuntimeMessage[] = [
  settingMessage({ location: 'Vienna, 1809', status: 'The city is shelled.' }),
  { role: 'user', content: 'Are you afraid?' },
];

const chats = embeddedChats('embedded-chat');
let model: string;

function open(format: 'character-llm' | 'chat'): EmbeddedChat {
  return chats.open({ baseGguf: model, format, character: beethoven, contextSize: 512 });
}

function collect(): { deltas: ChatDelta[]; onDelta: (d: ChatDelta) => void } {
  const deltas: ChatDelta[] = [];
  return { deltas, onDelta: (d) => deltas.push(d) };
}

beforeAll(() => {
  model = chats.model('tiny.gguf', { seed: 5 });
});

describe('the embedded chat runtime', () => {
  it(
    'loads on the first reply, streams it, and ends a model that never stops at maxTokens',
    async () => {
      const chat = open('character-llm');
      expect(chat.identity).toEqual({ kind: 'embedded', model, adapter: null, format: 'character-llm' });
      const states: string[] = [];
      const { deltas, onDelta } = collect();
      const reply = await chat.reply({
        messages: conversation,
        sampling: greedy,
        signal: new AbortController().signal,
        onDelta,
        onStatus: (s) => states.push(s.state),
      });
      expect(states).toEqual(['loading', 'generating']);
      expect(reply.finish).toBe('length');
      expect(reply.completionTokens).toBe(greedy.maxTokens);
      expect(reply.promptTokens).toBeGreaterThan(20);
      // What streamed is the reply: speech as text, an aside as reasoning, nothing lost or doubled.
      const streamedText = deltas.map((d) => d.text ?? '').join('');
      const streamedReasoning = deltas.map((d) => d.reasoning ?? '').join('');
      expect(streamedText).toBe(reply.text);
      expect(streamedReasoning).toBe(reply.reasoning ?? '');

      // Greedy is deterministic: the same request gives the same reply (from the reused cache too).
      const again = await chat.reply({
        messages: conversation,
        sampling: greedy,
        signal: new AbortController().signal,
        onDelta: () => {},
      });
      expect(again).toEqual(reply);
    },
    TIMEOUT,
  );

  it(
    "writes what node-llama-cpp's own loop writes, detokenized the same",
    async () => {
      const chat = open('character-llm');
      const reply = await chat.reply({
        messages: conversation,
        sampling: { ...greedy, maxTokens: 40 },
        signal: new AbortController().signal,
        onDelta: () => {},
      });
      const nlc = await nodeLlamaCpp();
      const llama = await nlc.getLlama({ gpu: false, build: 'never', logLevel: nlc.LlamaLogLevel.error });
      const bare = await llama.loadModel({ modelPath: model, gpuLayers: 0 });
      const context = await bare.createContext({ contextSize: 512, threads: TEST_THREADS });
      try {
        const prompt = [bare.tokens.bos!, ...bare.tokenize(characterLlmPrompt(conversation, beethoven), false)];
        const written: Token[] = [];
        for await (const token of context.getSequence().evaluate(prompt, { temperature: 0 })) {
          written.push(token);
          if (written.length === reply.completionTokens) break;
        }
        const whole = bare.detokenize(written).replace(/\ufffd+$/, '');
        expect(reply.finish).toBe('length');
        expect(splitHeader(whole).text).toBe(reply.text);
      } finally {
        await context.dispose();
        await bare.dispose();
        await llama.dispose();
      }
    },
    TIMEOUT,
  );

  it(
    'stops when the signal fires, keeping what was written',
    async () => {
      const chat = open('character-llm');
      const controller = new AbortController();
      const { deltas } = collect();
      let tokens = 0;
      const reply = await chat.reply({
        messages: conversation,
        sampling: { ...greedy, maxTokens: 200 },
        signal: controller.signal,
        onDelta: (d) => {
          deltas.push(d);
          if (++tokens === 3) controller.abort();
        },
      });
      expect(reply.finish).toBe('cancelled');
      expect(reply.completionTokens).toBeLessThan(200);
      expect(deltas.map((d) => d.text ?? '').join('')).toBe(reply.text);
    },
    TIMEOUT,
  );

  it(
    "renders the chat format through the GGUF's own template",
    async () => {
      const chat = open('chat');
      const reply = await chat.reply({
        messages: conversation,
        sampling: greedy,
        signal: new AbortController().signal,
        onDelta: () => {},
      });
      expect(reply.finish).toBe('length');
      expect(reply.reasoning).toBeNull();
      expect(reply.completionTokens).toBe(greedy.maxTokens);
    },
    TIMEOUT,
  );

  it(
    'estimates its memory, frees the model on dispose and refuses replies after it',
    async () => {
      const chat = open('character-llm');
      const estimate = await chat.estimateMemory();
      expect(estimate.bytes).toBeGreaterThan(0);
      expect(estimate.sentence).toMatch(/^about .* \(model .*, context of 512 tokens .*\)$/);
      await chat.reply({
        messages: conversation,
        sampling: greedy,
        signal: new AbortController().signal,
        onDelta: () => {},
      });
      expect(chat.loaded).toBe(true);
      await chat.dispose();
      expect(chat.loaded).toBe(false);
      await expect(
        chat.reply({
          messages: conversation,
          sampling: greedy,
          signal: new AbortController().signal,
          onDelta: () => {},
        }),
      ).rejects.toThrow(/closed/);
    },
    TIMEOUT,
  );

  it(
    'frees the model when closed mid-reply: the reply ends as cancelled with what it wrote',
    async () => {
      const chat = open('character-llm');
      let closing: Promise<void> | undefined;
      const { deltas } = collect();
      const reply = await chat.reply({
        messages: conversation,
        sampling: { ...greedy, maxTokens: 200 },
        signal: new AbortController().signal,
        onDelta: (d) => {
          deltas.push(d);
          closing ??= chat.dispose();
        },
      });
      await closing;
      expect(reply.finish).toBe('cancelled');
      expect(reply.completionTokens).toBeLessThan(200);
      expect(deltas.map((d) => d.text ?? '').join('')).toBe(reply.text);
      expect(chat.loaded).toBe(false);
    },
    TIMEOUT,
  );
});

describe("streaming the paper's turns", () => {
  function route(chunks: string[], firstAside = true): ChatDelta[] {
    const deltas: ChatDelta[] = [];
    const router = new HeaderRouter((d) => deltas.push(d), firstAside);
    for (const chunk of chunks) router.feed(chunk);
    router.finish();
    return deltas;
  }

  it('sends thoughts apart from speech once the header is known, whatever the chunking', () => {
    expect(route(['thin', 'king', '): He will', ' hear.'])).toEqual([
      { reasoning: 'He will' },
      { reasoning: ' hear.' },
    ]);
    expect(route(['action): bows'], false)).toEqual([{ reasoning: '\n(action) bows' }]);
    expect(route(['speaking):', ' Good', ' day'])).toEqual([{ text: 'Good' }, { text: ' day' }]);
    // No header (a badly trained model): the whole text is speech, held only while it may begin one.
    expect(route(['Hel', 'lo there'])).toEqual([{ text: 'Hel' }, { text: 'lo there' }]);
    expect(route(['spe', 'aking', ' well, sir'])).toEqual([{ text: 'speaking well, sir' }]);
    expect(route(['Hi'])).toEqual([{ text: 'Hi' }]);
  });

  it('cuts at the earliest stop string and holds back what may begin one', () => {
    expect(firstStop('Yes.<|eot|>\nMan (', ['<|eot|>', '\nMan'])).toEqual({ at: 4, stop: '<|eot|>' });
    expect(firstStop('Yes', ['<|eot|>'])).toBeNull();
    expect(heldBack('Yes.<|e', ['<|eot|>'])).toBe(3);
    expect(heldBack('Yes.', ['<|eot|>'])).toBe(0);
    expect(heldBack('a <', ['<|eot|>', '<|im_end|>'])).toBe(1);
  });
});
