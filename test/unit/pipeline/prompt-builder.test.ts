import { afterEach, describe, expect, it } from 'vitest';
import { PROFILE_EXCERPT_WORDS, PromptBuilder } from '../../../main/core/pipeline/prompt-builder';
import { Studio } from '../../../main/core/studio';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { ProfilesRepo } from '../../../main/store/profiles-repo';
import { PromptsRepo } from '../../../main/store/prompts-repo';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { studioResponder } from '../../support/studio-responder';
import {
  addFakeProvider,
  beethovenWithProfile,
  call,
  generationSettings,
  studioForEachTest,
  type makeStudio,
} from '../../support/studio';

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
    const builder = new PromptBuilder(
      new DatasetRepo(studio.db),
      new ProfilesRepo(studio.db),
      new PromptsRepo(studio.db),
    );
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

describe('the prompt a running job sends', () => {
  let server: FakeLlmServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('is the one saved last: an edit mid-run, in this studio or another sharing its folder, reaches the next call', async () => {
    const { studio } = env;
    const answer = studioResponder();
    // Experience asks in the order they arrive; the first and the third wait until released.
    const asks: string[] = [];
    const holds = new Map<number, { asked: () => void; wait: Promise<void>; release: () => void }>();
    const hold = (n: number) => {
      let asked = (): void => undefined;
      let release = (): void => undefined;
      const arrived = new Promise<void>((resolve) => (asked = resolve));
      const wait = new Promise<void>((resolve) => (release = resolve));
      holds.set(n, { asked, wait, release });
      return { arrived, release };
    };
    const first = hold(1);
    const third = hold(3);
    server = await startFakeLlmServer({
      responder: async (req) => {
        if (JSON.stringify(req.response_format ?? '').includes('"experience"')) {
          asks.push(req.messages.map((m) => m.content).join('\n'));
          const held = holds.get(asks.length);
          held?.asked();
          await held?.wait;
        }
        return answer(req);
      },
    });
    // One call at a time: each item's prompt is built when the one two before it ends (the window).
    const characterId = await beethovenWithProfile(studio);
    const providerId = await addFakeProvider(studio, server.baseURL, { maxConcurrency: 1 });
    const template = (await call(studio, 'prompts/list', { characterId })).find((p) => p.stage === 'experiences')!;
    const job = await call(studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes: 6, scenesPerCall: 6, protectiveShare: 0 }),
    });

    // Edited here while the first experience call is out (the second is built already: the window).
    await first.arrived;
    await call(studio, 'prompts/save', {
      characterId,
      stage: 'experiences',
      system: template.system,
      template: `EDIT-HERE ${template.template}`,
    });
    first.release();
    // Edited by another studio on the same folder (another process's connection) during the third.
    await third.arrived;
    const other = new Studio({ dataDir: env.dir, door: 'cli', version: 'test' });
    try {
      await call(other, 'prompts/save', {
        characterId,
        stage: 'experiences',
        system: template.system,
        template: `EDIT-ELSEWHERE ${template.template}`,
      });
    } finally {
      other.close();
    }
    third.release();
    expect((await studio.generation.whenIdle(job.id)).status).toBe('succeeded');

    const marks = asks.map((text) =>
      text.includes('EDIT-ELSEWHERE') ? 'elsewhere' : text.includes('EDIT-HERE') ? 'here' : 'none',
    );
    // Items 1 and 2 were built before the first edit, 3 after it, 5 and 6 after the second; 4 is
    // built when 2 has committed, before or after the second edit.
    expect([...marks.slice(0, 3), ...marks.slice(4)]).toEqual(['none', 'none', 'here', 'elsewhere', 'elsewhere']);
    expect(['here', 'elsewhere']).toContain(marks[3]);
  });
});
