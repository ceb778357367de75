import { describe, expect, it } from 'vitest';
import { SceneDeduplicator, findNearDuplicateScenes, sceneShingles } from '../../../main/core/pipeline/parse';
import {
  decodeSignature,
  encodeSignature,
  normalizedWords,
  sceneSignature,
} from '../../../main/core/pipeline/parse-dedupe';
import { cpuMsOf } from '../../support/ceilings';

/** Deterministic generator of distinct scenes: random sentences over a large vocabulary. */
function makeScenes(count: number, seed: number): { location: string; background: string }[] {
  let a = seed >>> 0;
  const rnd = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const vocab = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}`);
  const word = (): string => vocab[Math.floor(rnd() * vocab.length)] ?? 'w';
  return Array.from({ length: count }, (_, i) => ({
    location: `Room ${i}`,
    background: Array.from({ length: 40 }, word).join(' ') + '.',
  }));
}

describe('near-duplicate scenes', () => {
  it('finds a lightly edited repeat and ignores formatting differences', () => {
    const scenes = [
      {
        location: "Neefe's room in Bonn",
        background:
          'Young Beethoven brings his first set of variations to his teacher Christian Gottlob Neefe, who listens closely and corrects the bass line.',
      },
      {
        location: 'The Breuning house',
        background:
          'Beethoven argues with Stephan von Breuning about whether music should serve princes or the people.',
      },
      {
        location: 'Neefe’s Room in BONN',
        background:
          'Young Beethoven brings his first set of variations to his teacher, Christian Gottlob Neefe, who listens closely and corrects the bass line!',
      },
      {
        location: "Neefe's room in Bonn",
        background:
          'Young Beethoven brings his first set of variations to his teacher Christian Gottlob Neefe, who listens closely and praises the melody.',
      },
    ];
    const d = findNearDuplicateScenes(scenes, { threshold: 0.7 });
    expect(d).toHaveLength(2);
    expect(d[0]).toEqual({ index: 2, duplicateOf: 0, similarity: 1 });
    expect(d[1]).toMatchObject({ index: 3, duplicateOf: 0 });
    expect(d[1]!.similarity).toBeGreaterThanOrEqual(0.7);
    expect(d[1]!.similarity).toBeLessThan(1);
    // A stricter threshold keeps the edited one.
    expect(findNearDuplicateScenes(scenes, { threshold: 0.95 }).map((x) => x.index)).toEqual([2]);
  });

  it('handles 2,000 scenes quickly with no false positives and every planted repeat found', async () => {
    const base = makeScenes(1800, 1);
    const scenes = [...base];
    const planted = new Map<number, number>();
    for (let k = 0; k < 200; k++) {
      const src = (k * 7) % base.length;
      const words = base[src]!.background.split(' ');
      words[(k * 3) % words.length] = 'changed'; // one word in forty changed
      planted.set(scenes.length, src);
      scenes.push({ location: base[src]!.location, background: words.join(' ') });
    }
    let d: ReturnType<typeof findNearDuplicateScenes> = [];
    // CPU time, not wall time, so a loaded machine cannot trip it (a few hundred ms; quadratic: far more).
    const ms = await cpuMsOf(() => (d = findNearDuplicateScenes(scenes, { threshold: 0.8 })));
    expect(ms).toBeLessThan(2_000);
    expect(d.length).toBe(200);
    for (const x of d) expect(planted.get(x.index)).toBe(x.duplicateOf);
  });

  it('works incrementally and with exhaustive low thresholds', () => {
    const dd = new SceneDeduplicator({ threshold: 0.3 });
    expect(dd.add({ location: 'Bonn', background: 'a b c d e f' }).duplicateOf).toBeNull();
    expect(dd.add({ location: 'Bonn', background: 'a b c d x y' })).toMatchObject({ index: 1, duplicateOf: 0 });
    expect(dd.add({ location: 'Wien', background: 'p q r s' }).duplicateOf).toBeNull();
    expect(dd.size).toBe(3);
    expect(sceneShingles({ location: '', background: '' }).length).toBe(0);
    expect(() => new SceneDeduplicator({ threshold: 0 })).toThrow(/threshold/);
  });

  it.each([0.7, 0.3])(
    'forgets what truncate() takes back, at threshold %s: as if those scenes were never added',
    (threshold) => {
      const [a, b, c] = makeScenes(3, 11);
      const edited = (scene: { location: string; background: string }) => ({
        ...scene,
        background: scene.background.replace(/^\S+/, 'changed'),
      });
      const dd = new SceneDeduplicator({ threshold });
      dd.add(a!);
      dd.add(b!);
      dd.add(edited(b!)); // a repeat of b: counted, not kept
      dd.add(c!);
      expect(dd.add(edited(c!)).duplicateOf).toBe(3);
      dd.truncate(2);
      expect(dd.size).toBe(2);
      // c is forgotten (its repeat is new again and takes index 2); b and a stay.
      expect(dd.add(edited(c!))).toMatchObject({ index: 2, duplicateOf: null });
      expect(dd.add(edited(b!)).duplicateOf).toBe(1);
      expect(dd.add(edited(a!)).duplicateOf).toBe(0);
      dd.truncate(0);
      expect(dd.add(edited(a!))).toMatchObject({ index: 0, duplicateOf: null });
      dd.truncate(5); // past the end: nothing to forget
      expect(dd.size).toBe(1);
    },
  );

  it('hashes a scene as stored signatures were hashed, ASCII text or not (values of the first version)', () => {
    // Signatures are stored with scenes: a change in the words or hashes would make every stored one
    // silently different from what the same text gives now.
    const ascii = sceneSignature({
      location: 'Bonn, the Beethoven house',
      background: "Ludwig (aged 12) plays Bach's Well-Tempered Clavier for Neefe; 3 guests listen_quietly.",
    });
    expect([...ascii.bands.slice(0, 3)]).toEqual([-1414941543, 337977258, 1434462848]);
    expect([...ascii.shingles.slice(0, 3)]).toEqual([204598220, 707231948, 1215547675]);
    const accented = sceneSignature({
      location: 'Wien — Theater an der Wien',
      background:
        'Première of Fidelio: the audience, mostly French officers, is cold. Beethoven fumes; ﬁne ligature, café, naïve.',
    });
    expect([...accented.bands.slice(0, 3)]).toEqual([929908393, 167883315, -588779158]);
    expect([...accented.shingles.slice(0, 3)]).toEqual([79269386, 172825814, 893773574]);
    expect(normalizedWords('Première: ﬁne CAFÉ, naïve_x 42')).toEqual(['premiere', 'fine', 'cafe', 'naive', 'x', '42']);
    expect(normalizedWords("Bach's WELL-tempered, 3 guests_x")).toEqual([
      'bach',
      's',
      'well',
      'tempered',
      '3',
      'guests',
      'x',
    ]);
    expect(sceneSignature({ location: 'x', background: '' }).shingles).toEqual(new Uint32Array([4245442695]));
    expect(sceneSignature({ location: 'A room', background: 'Ü' }).shingles).toEqual(new Uint32Array([3720654184]));
  });

  it('reports exact similarities, a pair exactly at the threshold included, whatever the threshold', () => {
    // Scenes over a small vocabulary, so pairs fall at every similarity; checked exhaustively
    // (thresholds below 0.5) against the Jaccard of their shingles counted here.
    let a = 7;
    const rnd = (): number => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) >>> 8) / 16777216;
    const base = Array.from({ length: 12 }, (_, i) => `v${i}`);
    const scenes = Array.from({ length: 160 }, (_, i) => {
      const start = Math.floor(rnd() * 4);
      const words = base.slice(start, start + 6 + Math.floor(rnd() * 6));
      if (rnd() < 0.5) words[Math.floor(rnd() * words.length)] = `x${i}`;
      return { location: '', background: words.join(' ') };
    });
    const jaccard = (x: Uint32Array, y: Uint32Array): number => {
      const shared = [...x].filter((v) => y.includes(v)).length;
      return shared / (x.length + y.length - shared);
    };
    const shingles = scenes.map((s) => sceneShingles(s));
    for (const threshold of [0.2, 0.3, 0.45]) {
      const dd = new SceneDeduplicator({ threshold });
      const kept: number[] = [];
      for (let i = 0; i < scenes.length; i++) {
        const verdict = dd.add(scenes[i]!);
        let best = -1;
        let bestSim = 0;
        for (const k of kept) {
          const sim = jaccard(shingles[i]!, shingles[k]!);
          if (sim >= threshold && sim > bestSim) [best, bestSim] = [k, sim];
        }
        expect(verdict, `scene ${i} at ${threshold}`).toMatchObject({
          duplicateOf: best === -1 ? null : best,
          similarity: bestSim,
        });
        if (best === -1) kept.push(i);
      }
    }
    // Seven shingles all inside ten: exactly 0.7, a repeat at 0.7.
    const exact = new SceneDeduplicator({ threshold: 0.7 });
    exact.add({ location: '', background: base.join(' ') });
    expect(exact.add({ location: '', background: base.slice(0, 9).join(' ') })).toMatchObject({
      duplicateOf: 0,
      similarity: 0.7,
    });
  });

  it('finds from stored signatures exactly what it finds from the text', () => {
    const base = makeScenes(300, 2);
    const later = base.slice(0, 100).map((s, k) => ({ ...s, background: s.background.replace(/^\S+/, `edit${k}`) }));
    const fromText = new SceneDeduplicator({ threshold: 0.8 });
    const fromStore = new SceneDeduplicator({ threshold: 0.8 });
    for (const scene of base) {
      fromText.add(scene);
      const stored = decodeSignature(encodeSignature(sceneSignature(scene)));
      expect(stored).toEqual(sceneSignature(scene));
      fromStore.addSignature(stored!, true);
    }
    const verdicts = later.map((s) => fromStore.add(s));
    expect(verdicts.map((v) => v.duplicateOf)).toEqual(later.map((s) => fromText.add(s).duplicateOf));
    expect(verdicts.filter((v) => v.duplicateOf !== null).length).toBeGreaterThan(90);
    // A signature made by other hashing (another shingle size here) is not read as this one's.
    expect(decodeSignature(encodeSignature(sceneSignature(base[0]!, 2), 2))).toBeNull();
    expect(decodeSignature(new Uint8Array(7))).toBeNull();
  });
});
