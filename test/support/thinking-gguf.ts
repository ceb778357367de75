/**
 * A tiny GGUF (tiny-gguf.ts) with designed weights instead of trained ones: greedy decoding writes a
 * known paper-format turn, so the embedded runtime's thinking loop is tested on a real node-llama-cpp
 * model (test/unit/runtimes/embedded-thinking.test.ts).
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
import { writeTinyGguf, type ShapedModel } from './tiny-gguf';

/** The pieces of the designed turns; each gets one dimension of the embedding. */
const CHAIN = ['(', 'thinking):', '\u2581hmm', 'speaking):', '\u2581yes', '<|eot|>'] as const;
/** Logit scale of the bigram table (×8 after the final norm): far above the random rows (≈ ±30). */
const A = 100;
/** How strongly "▁hmm" in the context turns the prime towards speech. */
const B = 1000;

export interface ThinkingDesign {
  /** Whether "▁hmm" in the context leads to speech (false: the model only ever thinks). */
  speaksAfterThinking: boolean;
  /** What ends the thought: the paper's stop string, or the model's end-of-sequence token. */
  asideEnd: '<|eot|>' | '</s>';
}

function shape(design: ThinkingDesign) {
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

/** Writes the designed model to `path` (deterministic: same design, same bytes) and returns `path`. */
export function writeThinkingGguf(path: string, design: ThinkingDesign): string {
  return writeTinyGguf(path, {
    nLayer: 1,
    seed: 9,
    extraWords: ['thinking):', 'speaking):', 'hmm', 'yes', '<|eot|>'],
    shape: shape(design),
  });
}
