/**
 * Planning generation work: how many scene calls each chunk gets, and how many protective scenes
 * a dataset needs. Pure and seeded, so planning the same job twice yields the same items.
 *
 * Chunks are weighted by length (as the reference code sampled them), but every chunk gets at least
 * one call when there are enough calls to go round, so a short profile is repeated rather than
 * starved, and a long one cannot exceed the target: the total is fixed by the target, not the text.
 */

import { PythonRandom } from './python-random';

export interface ChunkRef {
  id: string;
  words: number;
}

export interface SceneCall {
  chunkId: string;
  /** Scenes to ask for in this call. */
  count: number;
  /** Index of this call among the calls for the same chunk. */
  repeat: number;
}

/** Extra scenes planned beyond the target, to cover parse losses and near-duplicates. */
export const OVERGENERATION = 1.15;

/** mulberry32: a tiny seeded generator (seed 42 by default, as the reference code). */
export function seededRandom(seed = 42): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function planSceneCalls(
  chunks: readonly ChunkRef[],
  scenesWanted: number,
  perCall: number,
  seed = 42,
): SceneCall[] {
  if (chunks.length === 0 || scenesWanted <= 0) return [];
  const calls = Math.max(1, Math.ceil(scenesWanted / perCall));
  const weights = chunks.map((c) => Math.max(1, c.words));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const perChunk = new Array<number>(chunks.length).fill(0);

  if (calls >= chunks.length) {
    // Everyone gets one; the rest go by length with largest remainders.
    perChunk.fill(1);
    const rest = calls - chunks.length;
    const exact = weights.map((w) => (rest * w) / totalWeight);
    const floors = exact.map(Math.floor);
    floors.forEach((f, i) => (perChunk[i]! += f));
    let left = rest - floors.reduce((a, b) => a + b, 0);
    const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
    for (const { i } of order) {
      if (left-- <= 0) break;
      perChunk[i]! += 1;
    }
  } else {
    // Fewer calls than chunks: sample chunks by length without replacement.
    const random = seededRandom(seed);
    const pool = chunks.map((_, i) => i);
    for (let n = 0; n < calls; n++) {
      const poolWeight = pool.reduce((sum, i) => sum + weights[i]!, 0);
      let pick = random() * poolWeight;
      let k = 0;
      while (k < pool.length - 1 && (pick -= weights[pool[k]!]!) > 0) k++;
      perChunk[pool[k]!]! += 1;
      pool.splice(k, 1);
    }
  }

  const plan: SceneCall[] = [];
  let remaining = scenesWanted;
  chunks.forEach((chunk, i) => {
    for (let repeat = 0; repeat < perChunk[i]!; repeat++) plan.push({ chunkId: chunk.id, count: perCall, repeat });
  });
  // The last calls ask only for what is left, so the request total matches the target.
  for (const call of plan) {
    call.count = Math.max(1, Math.min(perCall, remaining));
    remaining -= call.count;
  }
  return plan.filter((call) => call.count > 0);
}

/** The numbers of the paper's own generation runs (METHOD.md §1). */
export const PAPER_RUN = {
  /** Scene prompts per character: every chunk repeated, then topped up to this many. */
  sceneCalls: 100,
  /** Scenes asked for in one call. */
  scenesPerCall: 20,
  /** The reference code seeds Python's `random` with this before its length-weighted draw. */
  seed: 42,
  /** Words asked for in one experience. */
  minWords: 1200,
  /** Share of the scenes asked for that survived parsing in the paper's runs (70–95%). */
  keptShare: { low: 0.7, high: 0.95 },
} as const;

/**
 * The paper's scene plan: every chunk asked ⌊100 / chunks⌋ times (at least once), in profile
 * order, then topped up to 100 calls by drawing chunks with replacement, weighted by their length
 * in characters, from Python's generator seeded with 42: the reference code's `random.choices`,
 * so a profile split like the paper's is asked the same chunks as many times. Profiles of more than
 * 100 chunks get one call per chunk. Each call asks for 20 scenes; nothing is trimmed to a target.
 */
export function planPaperSceneCalls(chunks: readonly { id: string; chars: number }[]): SceneCall[] {
  if (chunks.length === 0) return [];
  const times = Math.max(1, Math.floor(PAPER_RUN.sceneCalls / chunks.length));
  const perChunk = new Array<number>(chunks.length).fill(times);
  const extra = PAPER_RUN.sceneCalls - times * chunks.length;
  if (extra > 0) {
    const drawn = new PythonRandom(PAPER_RUN.seed).choices(
      chunks.map((c) => c.chars),
      extra,
    );
    for (const i of drawn) perChunk[i]! += 1;
  }
  const plan: SceneCall[] = [];
  chunks.forEach((chunk, i) => {
    for (let repeat = 0; repeat < perChunk[i]!; repeat++)
      plan.push({ chunkId: chunk.id, count: PAPER_RUN.scenesPerCall, repeat });
  });
  return plan;
}

/** Protective scenes needed so they make up `share` of the final dataset. */
export function protectiveCount(normalScenes: number, share: number): number {
  if (share <= 0 || normalScenes <= 0) return 0;
  return Math.max(1, Math.round((normalScenes * share) / (1 - share)));
}

/** A stable small hash of a string (FNV-1a), for seeded choices per item. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
