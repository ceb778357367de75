/**
 * "Never end on its own" (`sampling.ignoreEos`) on the embedded runtime, with a real node-llama-cpp
 * and a tiny GGUF (test/support/tiny-gguf.ts, CPU, one thread) built to end every reply at once.
 *
 * How the model is built: one layer that writes nothing (zero attention output and feed-forward), so
 * the output reads the current token's embedding; every embedding carries the same large value in
 * dimension 0, and two output rows read it: the end-of-sequence token's most, then the first piece
 * of an end-of-turn marker written as plain text, the ChatML template's `<|im_end|>` as `<|im` +
 * `_end|>` (a bigram: `<|im` names `_end|>`, which names `<|im` again; `<|im_end|>` whole is an
 * end-of-generation token to llama.cpp, banned too), or the paper format's `<|eot|>`. Greedy, the
 * model ends its reply with its first token; with the end-of-text banned it writes the marker,
 * which ends a turn too unless markers are text.
 */
import type { LlamaContextSequence, Token } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import {
  settingMessage,
  type ChatDelta,
  type ChatRuntimeMessage,
  type ChatSampling,
} from '../../../main/core/runtimes/chat-runtime';
import type { EmbeddedChat } from '../../../main/core/runtimes/embedded-chat';
import { embeddedChats } from '../../support/embedded-chats';
import type { ShapedModel } from '../../support/tiny-gguf';

const TIMEOUT = 120_000;
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const CONTEXT = 512;
const conversation: ChatRuntimeMessage[] = [
  settingMessage({ location: 'Vienna, 1809', status: 'The city is shelled.' }),
  { role: 'user', content: 'Are you afraid?' },
];

/** The marker as the model writes it, one piece per token. */
const MARKERS = { chat: ['<|im', '_end|>'], 'character-llm': ['<|eot|>'] } as const;

function endsAtOnce(pieces: readonly string[]) {
  return ({ tensors, tokenId, nEmbd, nVocab }: ShapedModel): void => {
    const embd = tensors.get('token_embd.weight')!;
    const out = tensors.get('output.weight')!;
    tensors.get('blk.0.attn_output.weight')!.fill(0);
    tensors.get('blk.0.ffn_down.weight')!.fill(0);
    for (let t = 0; t < nVocab; t++) {
      embd[t * nEmbd] = 10; // far above the random dimensions (≈ 0.2): every token reads it
      out[t * nEmbd] = 0;
    }
    out[tokenId('</s>') * nEmbd] = 20;
    out[tokenId(pieces[0]!) * nEmbd] = 10;
    // Each piece names the next (dimension 1 + i), above the end of text: the marker is written whole.
    pieces.forEach((piece, i) => {
      const next = pieces[(i + 1) % pieces.length]!;
      if (pieces.length === 1) return;
      embd[tokenId(piece) * nEmbd + 1 + i] = 20;
      out[tokenId(next) * nEmbd + 1 + i] = 15;
    });
  };
}

const chats = embeddedChats('embedded-ignore-eos');

function designed(format: 'chat' | 'character-llm'): EmbeddedChat {
  const pieces = MARKERS[format];
  const model = chats.model(`${format}.gguf`, {
    nLayer: 1,
    seed: 3,
    extraWords: [...pieces, pieces.join('')],
    chatTemplate: CHATML,
    shape: endsAtOnce(pieces),
  });
  const character = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' };
  return chats.open({ baseGguf: model, format, character, contextSize: CONTEXT });
}

/** The tokens the runtime's context sequence holds now (its KV cache), read through its private state. */
async function held(chat: EmbeddedChat): Promise<Token[]> {
  const loaded = await (chat as unknown as { loading: Promise<{ sequence: LlamaContextSequence }> }).loading;
  return [...loaded.sequence.contextTokens];
}

async function ask(chat: EmbeddedChat, sampling: ChatSampling) {
  const deltas: ChatDelta[] = [];
  const reply = await chat.reply({
    messages: conversation,
    sampling,
    signal: new AbortController().signal,
    onDelta: (d) => deltas.push(d),
  });
  return { reply, streamed: deltas.map((d) => d.text ?? '').join('') };
}

describe('a reply that never ends on its own (ignoreEos)', () => {
  it(
    'chat format: the end-of-text token banned and the template’s end-of-turn marker taken as text, it reaches max tokens',
    async () => {
      const chat = designed('chat');
      const greedy: ChatSampling = { temperature: 0, topP: 1, maxTokens: 24 };
      const ended = await ask(chat, greedy);
      expect(ended.reply).toMatchObject({ text: '', finish: 'stop', completionTokens: 1 });

      const { reply, streamed } = await ask(chat, { ...greedy, ignoreEos: true });
      expect(reply).toMatchObject({ finish: 'length', completionTokens: 24 });
      expect(reply.text).toBe('<|im_end|>'.repeat(12));
      expect(streamed).toBe(reply.text);
      // Sampled (not greedy) it cannot end either: the ban is on the logits, not on the choice.
      const sampled = await ask(chat, { temperature: 1, topP: 0.95, maxTokens: 24, seed: 1, ignoreEos: true });
      expect(sampled.reply).toMatchObject({ finish: 'length', completionTokens: 24 });
    },
    TIMEOUT,
  );

  it(
    'goes on past the end of the context, the prompt kept, until max tokens',
    async () => {
      const chat = designed('chat');
      const sampling: ChatSampling = { temperature: 0, topP: 1, maxTokens: 2 * CONTEXT, ignoreEos: true };
      const short = (await ask(chat, { ...sampling, maxTokens: 4 })).reply;
      const prompt = (await held(chat)).slice(0, short.promptTokens!);
      const { reply } = await ask(chat, sampling);
      expect(reply.promptTokens! + reply.completionTokens!).toBeGreaterThan(CONTEXT);
      expect(reply).toMatchObject({ finish: 'length', completionTokens: 2 * CONTEXT });
      // What gave way is the reply's oldest tokens: the sequence still starts with the whole prompt.
      expect((await held(chat)).slice(0, prompt.length)).toEqual(prompt);
      expect((await ask(chat, sampling)).reply).toEqual(reply);
      // Allowed to end, a reply is still cut where the context ends.
      const capped = await ask(chat, { ...sampling, ignoreEos: false });
      expect(capped.reply).toMatchObject({ finish: 'stop', completionTokens: 1 });
    },
    TIMEOUT,
  );

  it(
    "the paper's format: the speech goes on past its <|eot|>, kept in the text, until max tokens",
    async () => {
      const chat = designed('character-llm');
      const greedy: ChatSampling = { temperature: 0, topP: 1, maxTokens: 16 };
      expect((await ask(chat, greedy)).reply).toMatchObject({ text: '', finish: 'stop', completionTokens: 1 });

      const { reply, streamed } = await ask(chat, { ...greedy, ignoreEos: true });
      expect(reply).toMatchObject({ finish: 'length', completionTokens: 16, reasoning: null });
      expect(reply.text).toBe('<|eot|>'.repeat(16));
      expect(streamed).toBe(reply.text);
    },
    TIMEOUT,
  );
});
