/**
 * Near-duplicate detection for generated scenes (the paper did none; repeated chunks yield repeats).
 *
 * Contract:
 * - Two scenes are near-duplicates when the Jaccard similarity of their word-trigram sets (location
 *   + background, lower-cased, accents and punctuation removed) is ≥ `threshold` (default 0.7).
 *   Similarities reported are exact Jaccard values, never estimates.
 * - Order matters: the first of a group is kept, each later one points at the most similar kept
 *   scene (`duplicateOf`). Scenes already marked duplicate are not themselves matched against.
 * - Candidates come from MinHash (64 hashes) with LSH banding (16 bands × 4 rows); every candidate is
 *   then checked exactly. At threshold ≥ 0.5 a pair at the threshold is found with probability ≥ 0.64,
 *   at 0.7 ≥ 0.98, at 0.8 ≥ 0.9998; below 0.5 every pair is compared exactly. Work per scene is
 *   O(shingles × 64) plus the candidates, so thousands of scenes take milliseconds.
 */

export interface DedupeOptions {
  /** Minimum Jaccard similarity (0–1] to call two scenes near-duplicates. Default 0.7. */
  threshold?: number;
  /** Words per shingle. Default 3. */
  shingleSize?: number;
}

export interface NearDuplicate {
  index: number;
  duplicateOf: number;
  similarity: number;
}

interface SceneLike {
  location: string;
  background: string;
}

const HASHES = 64;
const BANDS = 16;
const ROWS = HASHES / BANDS;

/** murmur3's finaliser: a cheap, well-mixed 32-bit hash of x under `seed`. */
function mix(x: number, seed: number): number {
  let h = (x ^ seed) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SEEDS = Array.from({ length: HASHES }, (_, i) => mix(i + 1, 0x9e3779b9));

/** Text holding nothing but ASCII (U+0000–U+007F). */
const ASCII = /^[\0-\x7f]*$/;

export function normalizedWords(text: string): string[] {
  // ASCII has no marks nor compatibility forms to decompose: the same words without the Unicode pass.
  const folded = ASCII.test(text)
    ? text.toLowerCase().replace(/[^a-z0-9]+/g, ' ')
    : text
        .normalize('NFKD')
        .replace(/\p{M}+/gu, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, ' ');
  return folded
    .trim()
    .split(' ')
    .filter((w) => w !== '');
}

/** fnv1a of `words[from]` to `words[to - 1]` joined by single spaces, without joining them. */
function fnv1aWords(words: readonly string[], from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let w = from; w < to; w++) {
    if (w > from) h = Math.imul(h ^ 0x20, 0x01000193);
    const word = words[w]!;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/** Sorted, distinct 32-bit hashes of the scene's word shingles. */
export function sceneShingles(scene: SceneLike, shingleSize = 3): Uint32Array {
  const words = normalizedWords(`${scene.location} ${scene.background}`);
  const set = new Set<number>();
  if (words.length < shingleSize) {
    if (words.length > 0) set.add(fnv1aWords(words, 0, words.length));
  } else {
    for (let i = 0; i + shingleSize <= words.length; i++) set.add(fnv1aWords(words, i, i + shingleSize));
  }
  return Uint32Array.from(set).sort();
}

/**
 * The Jaccard similarity of two sorted shingle sets when it reaches `min` (in (0, 1]), else -1.
 * The merge stops as soon as the shingles left cannot bring the shared count up to what `min`
 * asks: most candidates an LSH bucket offers are far below it, and this check is the detector's
 * main cost on a job (every scene against the similar ones already there).
 */
function jaccardAtLeast(a: Uint32Array, b: Uint32Array, min: number): number {
  const total = a.length + b.length;
  if (total === 0) return 1;
  // inter / (total - inter) >= min  ⇔  inter >= min · total / (1 + min); the epsilon keeps a pair
  // exactly at `min` from being cut off by rounding (the result is checked exactly below).
  const needed = Math.ceil((min * total) / (1 + min) - 1e-9);
  let i = 0;
  let j = 0;
  let inter = 0;
  while (i < a.length && j < b.length) {
    if (inter + Math.min(a.length - i, b.length - j) < needed) return -1;
    const x = a[i] ?? 0;
    const y = b[j] ?? 0;
    if (x === y) {
      inter++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  const sim = inter / (total - inter);
  return sim >= min ? sim : -1;
}

/**
 * What the detector keeps of a scene: its shingles (for the exact check) and one hash per LSH band
 * (the bucket keys). A generation job stores it with the scene (`encodeSignature`), so the next job
 * indexes the scenes already there from their signatures instead of hashing their text again
 * (~50 µs a scene: 60–130 ms a job at 1,500 scenes).
 */
export interface SceneSignature {
  shingles: Uint32Array;
  /** Signed, so that as Map keys they are small integers, not boxed numbers (a third faster). */
  bands: Int32Array;
}

/**
 * Stored signatures: a 4-byte tag of the hashing (format version, hashes, bands, shingle size),
 * then `BANDS` band hashes, then the shingles, as little-endian 32-bit words (the byte order of
 * every machine the studio runs on). A signature with another tag decodes to null and is computed
 * again, so changing the hashing needs no migration.
 */
const FORMAT_VERSION = 1;

function formatTag(shingleSize: number): number {
  return ((FORMAT_VERSION << 24) | (HASHES << 16) | (BANDS << 8) | shingleSize) >>> 0;
}

/** The first 4 bytes of a signature `encodeSignature` writes now (the store's check of its hashing). */
export function signatureTag(shingleSize = 3): Uint8Array {
  return new Uint8Array(Uint32Array.of(formatTag(shingleSize)).buffer);
}

export function sceneSignature(scene: SceneLike, shingleSize = 3): SceneSignature {
  const shingles = sceneShingles(scene, shingleSize);
  const sig = new Uint32Array(HASHES).fill(0xffffffff);
  for (const s of shingles) {
    for (let h = 0; h < HASHES; h++) {
      const v = mix(s, SEEDS[h] ?? 0);
      if (v < (sig[h] ?? 0)) sig[h] = v;
    }
  }
  // One 32-bit key per band: two bands that differ may share a key, which only adds a candidate
  // the exact check then turns down.
  const bands = new Int32Array(BANDS);
  for (let b = 0; b < BANDS; b++) {
    let key = mix(b + 1, 0x27d4eb2f);
    for (let r = 0; r < ROWS; r++) key = mix(key ^ (sig[b * ROWS + r] ?? 0), SEEDS[r] ?? 0);
    bands[b] = key;
  }
  return { shingles, bands };
}

export function encodeSignature(signature: SceneSignature, shingleSize = 3): Uint8Array {
  const words = new Uint32Array(1 + BANDS + signature.shingles.length);
  words[0] = formatTag(shingleSize);
  words.set(signature.bands, 1);
  words.set(signature.shingles, 1 + BANDS);
  return new Uint8Array(words.buffer);
}

/** The stored signature, or null when it was made by other hashing (or is not one). */
export function decodeSignature(bytes: Uint8Array, shingleSize = 3): SceneSignature | null {
  if (bytes.byteLength < 4 * (1 + BANDS) || bytes.byteLength % 4 !== 0) return null;
  // A copy: a blob read from SQLite may sit at any offset of a shared buffer.
  const words = new Uint32Array(new Uint8Array(bytes).buffer);
  if (words[0] !== formatTag(shingleSize)) return null;
  return { bands: new Int32Array(words.buffer, 4, BANDS), shingles: words.subarray(1 + BANDS) };
}

/** Incremental detector: `add` scenes in order as they arrive (e.g. per chunk of a running job). */
export class SceneDeduplicator {
  private readonly threshold: number;
  readonly shingleSize: number;
  private readonly exhaustive: boolean;
  private readonly kept: { index: number; shingles: Uint32Array; bands: Int32Array }[] = [];
  private readonly buckets = new Map<number, number[]>();
  private count = 0;

  constructor(options: DedupeOptions = {}) {
    this.threshold = options.threshold ?? 0.7;
    this.shingleSize = options.shingleSize ?? 3;
    if (!(this.threshold > 0 && this.threshold <= 1))
      throw new RangeError(`threshold must be in (0, 1] (got ${this.threshold}).`);
    if (!Number.isInteger(this.shingleSize) || this.shingleSize < 1)
      throw new RangeError(`shingleSize must be a whole number ≥ 1 (got ${this.shingleSize}).`);
    this.exhaustive = this.threshold < 0.5;
  }

  /** Scenes added so far. */
  get size(): number {
    return this.count;
  }

  /**
   * Forgets every scene added after the first `size`, as if they had never been added (a write that
   * stored them was rolled back). The next scene added gets index `size`.
   */
  truncate(size: number): void {
    for (let last = this.kept.at(-1); last !== undefined && last.index >= size; last = this.kept.at(-1)) {
      this.kept.pop();
      // Added last, so last in each of its buckets.
      if (!this.exhaustive)
        for (const key of last.bands) {
          const list = this.buckets.get(key)!;
          list.pop();
          if (list.length === 0) this.buckets.delete(key);
        }
    }
    this.count = Math.min(this.count, size);
  }

  /**
   * Registers the next scene (index = number added before it) and says whether it repeats a kept
   * one; `signature` is the scene's, for storing with it.
   */
  add(scene: SceneLike): { index: number; duplicateOf: number | null; similarity: number; signature: SceneSignature } {
    const signature = sceneSignature(scene, this.shingleSize);
    return { ...this.addSignature(signature), signature };
  }

  /**
   * `add` for a scene whose signature is known (stored with it); `keep` registers it as kept
   * without checking it against the others (scenes already in the dataset all stand).
   */
  addSignature(
    signature: SceneSignature,
    keep = false,
  ): { index: number; duplicateOf: number | null; similarity: number } {
    const index = this.count++;
    const { shingles, bands } = signature;
    let best = -1;
    let bestSim = 0;
    const consider = (k: number): void => {
      const other = this.kept[k];
      if (!other) return;
      const sim = jaccardAtLeast(shingles, other.shingles, this.threshold);
      if (sim > bestSim) {
        best = k;
        bestSim = sim;
      }
    };
    if (!keep && this.exhaustive) {
      for (let k = 0; k < this.kept.length; k++) consider(k);
    } else if (!keep) {
      const seen = new Set<number>();
      for (const key of bands) {
        for (const k of this.buckets.get(key) ?? []) {
          if (seen.has(k)) continue;
          seen.add(k);
          consider(k);
        }
      }
    }
    if (best !== -1) return { index, duplicateOf: this.kept[best]?.index ?? null, similarity: bestSim };
    const k = this.kept.length;
    this.kept.push({ index, shingles, bands });
    if (!this.exhaustive) {
      for (const key of bands) {
        const list = this.buckets.get(key);
        if (list) list.push(k);
        else this.buckets.set(key, [k]);
      }
    }
    return { index, duplicateOf: null, similarity: 0 };
  }
}

/** All near-duplicates in a list, each pointing at the earlier scene it repeats. */
export function findNearDuplicateScenes(scenes: readonly SceneLike[], options: DedupeOptions = {}): NearDuplicate[] {
  const detector = new SceneDeduplicator(options);
  const out: NearDuplicate[] = [];
  for (const scene of scenes) {
    const r = detector.add(scene);
    if (r.duplicateOf !== null) out.push({ index: r.index, duplicateOf: r.duplicateOf, similarity: r.similarity });
  }
  return out;
}
