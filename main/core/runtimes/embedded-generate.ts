/**
 * One generation of the embedded chat runtime (embedded-chat.ts): a token loop on a node-llama-cpp
 * context sequence, with stop strings, incremental detokenizing, the KV cache of a shared prefix
 * reused, and the "never end on its own" option (`ChatSampling.ignoreEos`).
 *
 * Never ending (SillyTavern's "Ban EOS token", llama.cpp's `ignore_eos`): every end-of-generation
 * token is banned from sampling, and once the context is full the oldest generated tokens are
 * dropped (the prompt stays whole, as llama.cpp's `n_keep`), so the reply runs to `maxTokens` or
 * until the signal fires. Without it a reply ends at an end-of-generation token, a stop string, or
 * the end of the context (`finish: 'length'`, as for `maxTokens`).
 */
import type { LlamaContextSequence, LlamaModel, Token, TokenBias } from 'node-llama-cpp';
import { StudioFailure } from '../errors';
import { nodeLlamaCpp } from '../llm/embedded-model';
import type { ChatSampling } from './chat-runtime';

/** Tokens before a new one that detokenizing it looks at (leading spaces depend on what came before). */
const DETOKENIZE_CONTEXT = 4;

/** A loaded model and the one sequence replies run on. */
export interface GenerationTarget {
  model: LlamaModel;
  sequence: LlamaContextSequence;
}

export interface Segment {
  text: string;
  tokens: number;
  finish: 'stop' | 'length' | 'cancelled';
  /** The stop string that ended it; null for an end-of-generation token or another reason. */
  stopString: string | null;
}

export interface GenerationRequest {
  tokens: Token[];
  sampling: ChatSampling;
  /** Texts that end the generation (cut before them). */
  stops: readonly string[];
  signal: AbortSignal;
  onText: (chunk: string) => void;
  /** The model's end-of-generation ban (`endOfTextBan`), needed when `sampling.ignoreEos`. */
  endBan?: TokenBias;
}

/**
 * A token bias that makes every end-of-generation token (EOS, EOT and the model's other EOG tokens)
 * impossible to sample. node-llama-cpp 3.21.1's `TokenBias.set` skips EOG tokens on purpose, but its
 * sampler hands whatever the bias holds to llama.cpp's logit-bias sampler, which applies -∞ to any
 * token: so the ban is written into the bias's map directly. Computed once per loaded model (it
 * walks the vocabulary); a node-llama-cpp whose TokenBias no longer keeps that map is refused with a
 * message rather than silently ending replies (test/unit/runtimes/embedded-ignore-eos.test.ts).
 */
export async function endOfTextBan(model: LlamaModel): Promise<TokenBias> {
  const { TokenBias } = await nodeLlamaCpp();
  const bias = new TokenBias(model.tokenizer);
  const biases = (bias as unknown as { _biases?: unknown })._biases;
  if (!(biases instanceof Map))
    throw new StudioFailure(
      'unavailable',
      'This node-llama-cpp cannot ban the end-of-text token: turn off "Never end on its own" for the embedded runtime.',
    );
  for (const token of model.iterateAllTokens()) if (model.isEogToken(token)) biases.set(token, -Infinity);
  return bias;
}

/**
 * One generation from `tokens`: streams text through `onText` as it becomes final (a tail that may
 * be the start of a stop string is held back; a half character waits for the rest), and returns it
 * cut before the first stop string.
 */
export async function generateSegment(target: GenerationTarget, request: GenerationRequest): Promise<Segment> {
  const { model, sequence } = target;
  const { tokens, sampling, stops, signal, onText } = request;
  const room = sequence.contextSize - tokens.length;
  if (room < 1) {
    throw new StudioFailure(
      'invalid_argument',
      `The conversation is ${tokens.length} tokens but the model's context holds ${sequence.contextSize}: ` +
        'start a new conversation or branch from an earlier message.',
    );
  }
  const neverEnds = sampling.ignoreEos === true;
  if (neverEnds && !request.endBan) throw new Error('ignoreEos needs the model’s end-of-text ban');
  // Never ending, a reply longer than the context goes on past it (the oldest generated tokens give way).
  const maxTokens = neverEnds ? sampling.maxTokens : Math.min(sampling.maxTokens, room);
  const generated: Token[] = [];
  // Detokenized incrementally (a whole re-detokenization per token cost ~20 % of a tiny model's
  // decode time): `settled` is the text of tokens whose bytes make whole characters; `pending` the
  // tokens after them (a character split over byte tokens), detokenized together until whole.
  let settled = '';
  let pending: Token[] = [];
  let emitted = 0;
  let text = '';
  let finish: Segment['finish'] = 'length';
  let stopString: string | null = null;
  const longestStop = Math.max(0, ...stops.map((stop) => stop.length));
  const start = await reuseCache(sequence, tokens);
  const options = {
    temperature: sampling.temperature,
    topP: sampling.topP,
    // Without it node-llama-cpp ends the iteration silently on EOS, and a reply the model ended
    // would read as one cut by the token limit.
    yieldEogToken: true,
    ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
    ...(neverEnds && {
      tokenBias: request.endBan,
      // The context full: drop the oldest generated tokens, never the prompt (node-llama-cpp's
      // default erases from the start, the character's meta prompt first).
      contextShift: {
        strategy: ({ sequence: s, size }: { sequence: LlamaContextSequence; size: number }) => [
          { start: tokens.length, end: Math.min(tokens.length + size, s.nextTokenIndex) },
        ],
      },
    }),
  };
  if (signal.aborted) return { text: '', tokens: 0, finish: 'cancelled', stopString: null };
  for await (const token of sequence.evaluate(tokens.slice(start), options)) {
    if (signal.aborted) {
      finish = 'cancelled';
      break;
    }
    if (model.isEogToken(token)) {
      finish = 'stop';
      generated.push(token);
      break;
    }
    const before = settled.length;
    const settledCount = generated.length - pending.length;
    const context = generated.slice(Math.max(0, settledCount - DETOKENIZE_CONTEXT), settledCount);
    generated.push(token);
    pending.push(token);
    const piece = model.detokenize(pending, false, context);
    text = settled + piece;
    // A UTF-8 character spans at most 4 byte tokens: longer, the bytes are invalid and stay U+FFFD.
    const whole = !piece.endsWith('\ufffd') || pending.length >= 4;
    if (whole) {
      settled = text;
      pending = [];
    }
    const found = firstStop(text, stops, Math.max(0, before - longestStop));
    if (found !== null) {
      text = text.slice(0, found.at);
      stopString = found.stop;
      finish = 'stop';
      break;
    }
    if (whole) {
      const safe = text.length - heldBack(text, stops);
      if (safe > emitted) {
        onText(text.slice(emitted, safe));
        emitted = safe;
      }
    }
    if (generated.length >= maxTokens) break;
  }
  if (finish !== 'stop') text = text.replace(/\ufffd+$/, ''); // a character cut in half by the limit
  if (text.length > emitted) onText(text.slice(emitted));
  return { text, tokens: generated.length, finish, stopString };
}

/**
 * Keeps the KV cache of the longest prefix `tokens` share with the sequence and erases the rest;
 * returns where evaluation starts. At least one token is evaluated, to get the next one's logits.
 */
async function reuseCache(sequence: LlamaContextSequence, tokens: Token[]): Promise<number> {
  const held = sequence.contextTokens;
  let common = 0;
  while (common < held.length && common < tokens.length && held[common] === tokens[common]) common++;
  if (common === tokens.length) common--;
  if (common < sequence.nextTokenIndex) {
    if (common === 0) await sequence.clearHistory();
    else await sequence.eraseContextTokenRanges([{ start: common, end: sequence.nextTokenIndex }]);
  }
  return common;
}

/** The earliest stop string in `text` at or after `from` (what earlier tokens were already searched), and where. */
export function firstStop(text: string, stops: readonly string[], from = 0): { at: number; stop: string } | null {
  let best: { at: number; stop: string } | null = null;
  for (const stop of stops) {
    const at = stop ? text.indexOf(stop, from) : -1;
    if (at >= 0 && (best === null || at < best.at)) best = { at, stop };
  }
  return best;
}

/** Characters at the end of `text` that could begin a stop string (held until the next token decides). */
export function heldBack(text: string, stops: readonly string[]): number {
  let hold = 0;
  for (const stop of stops) {
    for (let n = Math.min(stop.length - 1, text.length); n > hold; n--) {
      if (text.endsWith(stop.slice(0, n))) {
        hold = n;
        break;
      }
    }
  }
  return hold;
}
