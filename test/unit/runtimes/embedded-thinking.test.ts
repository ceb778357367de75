/**
 * The paper format's thinking loop (issue #11, point 3) on a real node-llama-cpp model, steered by
 * design instead of by training: a tiny GGUF (test/support/tiny-gguf.ts, CPU, one thread) whose
 * weights are set so that greedy decoding writes a known turn.
 *
 * How the model is built: one layer; the feed-forward block writes nothing, so what reaches the
 * output is the current token's embedding (a bigram table: each token of the turn names the next),
 * plus one signal the attention carries. The attention has zero queries and keys, so it averages
 * the values of every token so far; only the aside's word "▁hmm" has a value. After the prime
 * `Beethoven (` the model writes `thinking): hmm` then `<|eot|>` (or the end-of-sequence token);
 * once "▁hmm" is anywhere in the context, the same prime leads to `speaking): yes<|eot|>` instead.
 * So the first turn is a thought and, after the runtime appends it and primes again, the second is
 * speech: the loop itself, not a fake, decides what becomes reasoning and what becomes the reply.
 */
import { describe, expect, it } from 'vitest';
import { settingMessage, type ChatDelta, type ChatRuntimeMessage } from '../../../main/core/runtimes/chat-runtime';
import type { EmbeddedChat } from '../../../main/core/runtimes/embedded-chat';
import { MAX_ASIDES } from '../../../main/core/runtimes/paper-prompt';
import { embeddedChats } from '../../support/embedded-chats';
import type { ShapedModel } from '../../support/tiny-gguf';

const TIMEOUT = 120_000;
const beethoven = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' };
const conversation: ChatRuntimeMessage[] = [
  settingMessage({ location: 'Vienna, 1809', status: 'The city is shelled.' }),
  { role: 'user', content: 'Are you afraid?' },
];

/** The pieces of the designed turns; each gets one dimension of the embedding. */
const CHAIN = ['(', 'thinking):', '\u2581hmm', 'speaking):', '\u2581yes', '<|eot|>'] as const;
/** Logit scale of the bigram table (×8 after the final norm): far above the random rows (≈ ±30). */
const A = 100;
/** How strongly "▁hmm" in the context turns the prime towards speech. */
const B = 1000;

interface Design {
  /** Whether "▁hmm" in the context leads to speech (false: the model only ever thinks). */
  speaksAfterThinking: boolean;
  /** What ends the thought: the paper's stop string, or the model's end-of-sequence token. */
  asideEnd: '<|eot|>' | '</s>';
}

function shape(design: Design) {
  return ({ tensors, tokenId, nEmbd, nVocab }: ShapedModel): void => {
    const get = (name: string) => tensors.get(name)!;
    const embd = get('token_embd.weight');
    const out = get('output.weight');
    const dim = (piece: (typeof CHAIN)[number]) => CHAIN.indexOf(piece);
    const source = nEmbd - 2; // "▁hmm" carries its mark here, read by the attention
    const mark = nEmbd - 1; // … which writes it here, read by the output
    const row = (m: Float32Array, r: number) => m.subarray(r * nEmbd, (r + 1) * nEmbd);
    // Nothing but "▁hmm" writes the source dimension; no output reads either mark dimension directly.
    for (let t = 0; t < nVocab; t++) {
      row(embd, t)[source] = 0;
      row(out, t)[source] = 0;
      row(out, t)[mark] = 0;
    }
    for (const piece of CHAIN) {
      const e = row(embd, tokenId(piece));
      e.fill(0);
      e[dim(piece)] = 1;
    }
    row(embd, tokenId('\u2581hmm'))[source] = 1;
    const next = (from: (typeof CHAIN)[number], to: string, weight = A) => {
      row(out, tokenId(to))[dim(from)] = weight;
    };
    for (const piece of CHAIN) row(out, tokenId(piece)).fill(0);
    next('(', 'thinking):', A + 1); // without the mark, a thought wins by 8 logits
    next('(', 'speaking):');
    if (design.speaksAfterThinking) row(out, tokenId('speaking):'))[mark] = B;
    next('thinking):', '\u2581hmm');
    next('\u2581hmm', design.asideEnd);
    next('speaking):', '\u2581yes');
    next('\u2581yes', '<|eot|>');
    // Attention: zero queries and keys average the values; only the source dimension has one.
    get('blk.0.attn_q.weight').fill(0);
    get('blk.0.attn_k.weight').fill(0);
    get('blk.0.attn_v.weight').fill(0)[mark * nEmbd + source] = 1;
    get('blk.0.attn_output.weight').fill(0)[mark * nEmbd + mark] = 1;
    get('blk.0.ffn_down.weight').fill(0);
  };
}

const chats = embeddedChats('embedded-thinking');

function designed(name: string, design: Design): EmbeddedChat {
  const model = chats.model(`${name}.gguf`, {
    nLayer: 1,
    seed: 9,
    extraWords: ['thinking):', 'speaking):', 'hmm', 'yes', '<|eot|>'],
    shape: shape(design),
  });
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
      // right after its header: an empty aside, as serve.py counts it.
      const shared = await ask(chat, 7);
      expect(shared.reply).toMatchObject({ text: '', reasoning: 'hmm\nhmm\n', finish: 'length', completionTokens: 7 });
      expect(shared.streamed).toEqual({ text: '', reasoning: 'hmm\nhmm\n' });
    },
    TIMEOUT,
  );
});
