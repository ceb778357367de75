/**
 * Writes a tiny random-weight llama model as a GGUF v3 file, so tests of the embedded
 * (node-llama-cpp) path can load a real model without any model hub.
 *
 * The model is meaningless but structurally complete: an SPM vocabulary with all 256 byte
 * fallback tokens, `<unk>`/`<s>`/`</s>`, a few hundred scored word pieces, a Jinja chat template
 * that ends every turn with the EOS token, and F32 tensors for every llama weight.
 *
 * One deliberate bias: the EOS row of `output.weight` is all zeros, so the EOS logit is exactly 0
 * while the largest of the other random logits is positive. Greedy decoding therefore never ends
 * a reply on its own, which makes "stopped by maxTokens" deterministic; a grammar that has been
 * satisfied still ends the reply, because then EOS is the only token it allows.
 *
 * The bytes are gguf-writer.ts's; a model with designed weights builds on `shape` (thinking-gguf.ts).
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../main/core/pipeline/planner';
import { GGUF_ALIGNMENT, meta, writeGguf, type TensorSpec } from './gguf-writer';

/**
 * CPU threads every test gives node-llama-cpp. One: llama.cpp's worker threads spin while they
 * wait for each other, so on a busy 2-core machine two threads ran the tiny model 10–30 times
 * slower than one (3 vs 29 tokens/s, measured with the load of seven parallel test runs), and a
 * model this small gains nothing from a second thread on a quiet one.
 */
export const TEST_THREADS = 1;

export interface TinyGgufOptions {
  /** Hidden size; must be divisible by `nHead`. */
  nEmbd?: number;
  nLayer?: number;
  nHead?: number;
  /** Key/value heads (grouped-query attention); must divide `nHead`. */
  nHeadKv?: number;
  /** Feed-forward inner size. */
  nFf?: number;
  /** Trained context length written to `llama.context_length`, in tokens. */
  contextLength?: number;
  /** Seed of the weight generator; the same seed gives a byte-identical file. */
  seed?: number;
  /** Standard deviation of the random matrices. */
  weightScale?: number;
  /** Overrides `tokenizer.chat_template`. */
  chatTemplate?: string;
  name?: string;
  /** More vocabulary pieces, added as the built-in words are (with and without "▁", with every prefix). */
  extraWords?: readonly string[];
  /**
   * Rewrites weights after the random ones are drawn, to build a model that behaves by design (a
   * test steering generation). `tensors` by GGUF name, row-major as written (row = dims[1] index);
   * `tokenId` finds a piece's id and throws for a piece not in the vocabulary.
   */
  shape?: (model: ShapedModel) => void;
}

/** What `TinyGgufOptions.shape` may rewrite. */
export interface ShapedModel {
  tensors: Map<string, Float32Array>;
  tokenId: (piece: string) => number;
  nEmbd: number;
  nVocab: number;
}

/** A minimal chat template in the usual Hugging Face Jinja dialect; every turn ends with EOS. */
export const TINY_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

// Token types in `tokenizer.ggml.token_type` (llama.cpp's llama_token_type).
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

function makeGaussian(rng: () => number): () => number {
  return () => {
    // Box–Muller; 1 - u keeps the log argument in (0, 1].
    const u = 1 - rng();
    const v = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

const WORDS = [
  'the',
  'a',
  'and',
  'of',
  'to',
  'in',
  'he',
  'she',
  'was',
  'his',
  'her',
  'it',
  'that',
  'with',
  'for',
  'on',
  'as',
  'at',
  'by',
  'from',
  'is',
  'had',
  'not',
  'but',
  'they',
  'we',
  'you',
  'i',
  'said',
  'one',
  'all',
  'were',
  'when',
  'there',
  'what',
  'who',
  'will',
  'would',
  'which',
  'their',
  'man',
  'woman',
  'king',
  'queen',
  'city',
  'house',
  'room',
  'night',
  'day',
  'war',
  'sea',
  'ship',
  'letter',
  'friend',
  'father',
  'mother',
  'court',
  'palace',
  'garden',
  'river',
  'road',
  'army',
  'scene',
  'location',
  'background',
  'people',
  'type',
  'chat',
  'talk',
  'think',
  'speak',
  'name',
  'hello',
  'yes',
  'no',
  'good',
  'old',
  'young',
  'time',
  'life',
  'year',
  'love',
  'home',
  'world',
  'thinking',
  'speaking',
  'beethoven',
  'caesar',
  'cleopatra',
  'newton',
  'hermione',
  'martin',
  'socrates',
  'spartacus',
  'voldemort',
  'music',
  'rome',
  'london',
  'vienna',
  'egypt',
  'athens',
];

interface Vocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

/**
 * SPM vocabulary: control tokens at 0..2 (the ids llama.cpp expects by default), the 256 byte
 * fallback tokens, every printable ASCII character, "▁" (SentencePiece's space), and each word in
 * `WORDS` with a leading "▁" together with all its prefixes. SPM merges adjacent symbols only
 * when their concatenation is a token, so the prefixes give every word a merge path; longer
 * pieces score higher so merges prefer them.
 */
function buildVocab(extraWords: readonly string[] = []): Vocab {
  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const scores: number[] = [0, 0, 0];
  const types: number[] = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    scores.push(0);
    types.push(TOKEN_BYTE);
  }
  const seen = new Set<string>();
  const add = (piece: string): void => {
    if (seen.has(piece)) return;
    seen.add(piece);
    tokens.push(piece);
    scores.push(-100 + [...piece].length);
    types.push(TOKEN_NORMAL);
  };
  add('\u2581');
  for (let c = 0x21; c <= 0x7e; c++) add(String.fromCharCode(c));
  for (const word of [...WORDS, ...extraWords]) {
    for (const variant of [`\u2581${word}`, word]) {
      const chars = [...variant];
      for (let end = 2; end <= chars.length; end++) add(chars.slice(0, end).join(''));
    }
  }
  return { tokens, scores, types };
}

function buildTensors(
  o: Required<Omit<TinyGgufOptions, 'chatTemplate' | 'name' | 'extraWords' | 'shape'>>,
  nVocab: number,
  eosId: number,
): TensorSpec[] {
  const gauss = makeGaussian(seededRandom(o.seed));
  const headDim = o.nEmbd / o.nHead;
  const nEmbdKv = headDim * o.nHeadKv;
  const random = (rows: number, cols: number, scale = o.weightScale): Float32Array => {
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = gauss() * scale;
    return data;
  };
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);

  const output = random(nVocab, o.nEmbd, 1);
  output.fill(0, eosId * o.nEmbd, (eosId + 1) * o.nEmbd);

  const tensors: TensorSpec[] = [
    {
      name: 'token_embd.weight',
      dims: [o.nEmbd, nVocab],
      data: random(nVocab, o.nEmbd, 1),
    },
    { name: 'output_norm.weight', dims: [o.nEmbd], data: ones(o.nEmbd) },
    { name: 'output.weight', dims: [o.nEmbd, nVocab], data: output },
  ];
  for (let layer = 0; layer < o.nLayer; layer++) {
    const p = `blk.${layer}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [o.nEmbd], data: ones(o.nEmbd) },
      {
        name: `${p}attn_q.weight`,
        dims: [o.nEmbd, o.nEmbd],
        data: random(o.nEmbd, o.nEmbd),
      },
      {
        name: `${p}attn_k.weight`,
        dims: [o.nEmbd, nEmbdKv],
        data: random(nEmbdKv, o.nEmbd),
      },
      {
        name: `${p}attn_v.weight`,
        dims: [o.nEmbd, nEmbdKv],
        data: random(nEmbdKv, o.nEmbd),
      },
      {
        name: `${p}attn_output.weight`,
        dims: [o.nEmbd, o.nEmbd],
        data: random(o.nEmbd, o.nEmbd),
      },
      { name: `${p}ffn_norm.weight`, dims: [o.nEmbd], data: ones(o.nEmbd) },
      {
        name: `${p}ffn_gate.weight`,
        dims: [o.nEmbd, o.nFf],
        data: random(o.nFf, o.nEmbd),
      },
      {
        name: `${p}ffn_up.weight`,
        dims: [o.nEmbd, o.nFf],
        data: random(o.nFf, o.nEmbd),
      },
      {
        name: `${p}ffn_down.weight`,
        dims: [o.nFf, o.nEmbd],
        data: random(o.nEmbd, o.nFf),
      },
    );
  }
  return tensors;
}

/** Builds the whole file in memory; the result is a few hundred KiB with the defaults. */
export function buildTinyGguf(opts: TinyGgufOptions = {}): Buffer {
  const o = {
    nEmbd: opts.nEmbd ?? 64,
    nLayer: opts.nLayer ?? 2,
    nHead: opts.nHead ?? 4,
    nHeadKv: opts.nHeadKv ?? opts.nHead ?? 4,
    nFf: opts.nFf ?? 128,
    contextLength: opts.contextLength ?? 1024,
    seed: opts.seed ?? 1234,
    weightScale: opts.weightScale ?? 0.2,
  };
  if (o.nEmbd % o.nHead !== 0) throw new Error(`nEmbd (${o.nEmbd}) must be divisible by nHead (${o.nHead})`);
  if (o.nHead % o.nHeadKv !== 0) throw new Error(`nHeadKv (${o.nHeadKv}) must divide nHead (${o.nHead})`);

  const vocab = buildVocab(opts.extraWords);
  const bosId = 1;
  const eosId = 2;
  const tensors = buildTensors(o, vocab.tokens.length, eosId);
  opts.shape?.({
    tensors: new Map(tensors.map((t) => [t.name, t.data])),
    tokenId: (piece) => {
      const id = vocab.tokens.indexOf(piece);
      if (id < 0) throw new Error(`"${piece}" is not in the tiny vocabulary; add it with extraWords.`);
      return id;
    },
    nEmbd: o.nEmbd,
    nVocab: vocab.tokens.length,
  });

  const { u32, f32, bool, str, strings, f32s, i32s } = meta;
  return writeGguf(
    [
      ['general.architecture', str('llama')],
      ['general.name', str(opts.name ?? 'tiny-random-llama')],
      ['general.alignment', u32(GGUF_ALIGNMENT)],
      ['general.file_type', u32(0)], // LLAMA_FTYPE_ALL_F32
      ['llama.vocab_size', u32(vocab.tokens.length)],
      ['llama.context_length', u32(o.contextLength)],
      ['llama.embedding_length', u32(o.nEmbd)],
      ['llama.block_count', u32(o.nLayer)],
      ['llama.feed_forward_length', u32(o.nFf)],
      ['llama.attention.head_count', u32(o.nHead)],
      ['llama.attention.head_count_kv', u32(o.nHeadKv)],
      ['llama.rope.dimension_count', u32(o.nEmbd / o.nHead)],
      ['llama.rope.freq_base', f32(10000)],
      ['llama.attention.layer_norm_rms_epsilon', f32(1e-5)],
      ['tokenizer.ggml.model', str('llama')],
      ['tokenizer.ggml.tokens', strings(vocab.tokens)],
      ['tokenizer.ggml.scores', f32s(vocab.scores)],
      ['tokenizer.ggml.token_type', i32s(vocab.types)],
      ['tokenizer.ggml.unknown_token_id', u32(0)],
      ['tokenizer.ggml.bos_token_id', u32(bosId)],
      ['tokenizer.ggml.eos_token_id', u32(eosId)],
      ['tokenizer.ggml.add_bos_token', bool(true)],
      ['tokenizer.ggml.add_eos_token', bool(false)],
      ['tokenizer.chat_template', str(opts.chatTemplate ?? TINY_CHAT_TEMPLATE)],
    ],
    tensors,
  );
}

/** Writes the model to `path` (atomically, via a temporary sibling) and returns `path`. */
export function writeTinyGguf(path: string, opts: TinyGgufOptions = {}): string {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, buildTinyGguf(opts));
  renameSync(tmp, path);
  return path;
}

let cachedDir: string | undefined;

/**
 * Path of a tiny model with the default options, written once per process into a fresh temp
 * folder (the file is deterministic, so sharing it across tests is safe).
 */
export function tinyGgufPath(): string {
  cachedDir ??= mkdtempSync(join(tmpdir(), 'tiny-gguf-'));
  mkdirSync(cachedDir, { recursive: true });
  const path = join(cachedDir, 'tiny-random-llama.gguf');
  if (!existsSync(path)) writeTinyGguf(path);
  return path;
}

/** Removes the folder `tinyGgufPath` wrote into (call from `afterAll`); a later call writes anew. */
export function removeTinyGgufCache(): void {
  if (cachedDir === undefined) return;
  rmSync(cachedDir, { recursive: true, force: true });
  cachedDir = undefined;
}
