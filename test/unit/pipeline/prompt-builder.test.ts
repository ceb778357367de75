import { describe, expect, it } from 'vitest';
import { PROFILE_EXCERPT_WORDS, PromptBuilder } from '../../../main/core/pipeline/prompt-builder';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { ProfilesRepo } from '../../../main/store/profiles-repo';
import { beethovenWithProfile, call, studioForEachTest, type makeStudio } from '../../support/studio';

let env: ReturnType<typeof makeStudio>;
studioForEachTest((e) => (env = e));

/** `paragraphs` paragraphs of `words` numbered words each, so every word says where it came from. */
const life = (tag: string, paragraphs: number, words: number): string =>
  Array.from({ length: paragraphs }, (_, p) =>
    Array.from({ length: words }, (_, w) => `${tag}${p}.${w}`).join(' '),
  ).join('\n\n');

describe('the profile excerpt a prompt shows', () => {
  it('is the first words of the profiles in order, and reads only the chunks it shows', async () => {
    const { studio } = env;
    // Two profiles: the excerpt runs on into the second when the first is short.
    const characterId = await beethovenWithProfile(studio, life('a', 3, 100));
    await call(studio, 'profiles/import', {
      characterId,
      fileBase64: Buffer.from(life('b', 1_500, 120)).toString('base64'),
      fileName: 'letters.txt',
    });
    const builder = new PromptBuilder(new DatasetRepo(studio.db), new ProfilesRepo(studio.db));
    const every = builder
      .chunksOf(characterId)
      .flatMap((c) => c.text.split(/\s+/))
      .filter(Boolean);
    expect(every.length).toBeGreaterThan(100_000);
    const excerpt = builder.profileExcerpt(characterId);
    expect(excerpt).toBe(every.slice(0, PROFILE_EXCERPT_WORDS).join(' ') + ' …');
    expect(excerpt).toContain('b0.0');

    // Asked for once per job item: it costs a fraction of reading the whole profile (here 180,000
    // words), however long the profile grows. Medians of alternating runs.
    const time = (f: () => unknown): number => {
      const t = performance.now();
      f();
      return performance.now() - t;
    };
    const whole: number[] = [];
    const shown: number[] = [];
    for (let i = 0; i < 9; i++) {
      whole.push(time(() => builder.chunksOf(characterId)));
      shown.push(time(() => builder.profileExcerpt(characterId)));
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[4]!;
    expect(median(shown)).toBeLessThan(median(whole) / 5);
  });
});
