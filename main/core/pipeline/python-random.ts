/**
 * Python's `random` module generator (MT19937 seeded as CPython seeds an integer), so a draw the
 * paper's reference code made with `random.seed(42)` and `random.choices` is the same draw here:
 * same seed, same sequence, same picks for the same weights. Pure; no I/O.
 *
 * Written from the published MT19937 algorithm (Matsumoto & Nishimura, 1998) and the documented
 * behaviour of CPython's `random.seed(int)` (the integer's 32-bit words as the `init_by_array`
 * key), `random.random()` (53-bit float from two outputs) and `random.choices(weights=…)`
 * (a bisection over cumulative weights).
 */

const N = 624;
const M = 397;

export class PythonRandom {
  private readonly mt = new Uint32Array(N);
  private index = N + 1;

  /** `seed` is a non-negative integer below 2^53, as `random.seed(n)` takes it. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError('seed must be a non-negative safe integer');
    const key: number[] = [];
    for (let rest = seed; rest > 0 || key.length === 0; rest = Math.floor(rest / 2 ** 32)) key.push(rest % 2 ** 32);
    this.initByArray(key);
  }

  /** A float in [0, 1), as `random.random()`. */
  random(): number {
    const a = this.next() >>> 5;
    const b = this.next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `k` picks with replacement, each index chosen with probability proportional to its weight (`random.choices`). */
  choices(weights: readonly number[], k: number): number[] {
    const cumulative: number[] = [];
    let total = 0;
    for (const w of weights) cumulative.push((total += w));
    const picks: number[] = [];
    for (let i = 0; i < k; i++) picks.push(bisectRight(cumulative, this.random() * total, weights.length - 1));
    return picks;
  }

  private initGenrand(seed: number): void {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  private initByArray(key: readonly number[]): void {
    this.initGenrand(19650218);
    const mt = this.mt;
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  private next(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let kk = 0; kk < N; kk++) {
        const y = (mt[kk]! & 0x80000000) | (mt[(kk + 1) % N]! & 0x7fffffff);
        mt[kk] = mt[(kk + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** The first index whose cumulative weight exceeds `x`, at most `hi` (Python's `bisect_right`). */
function bisectRight(cumulative: readonly number[], x: number, hi: number): number {
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < cumulative[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
