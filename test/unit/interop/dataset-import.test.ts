import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, DatasetStats, Scene } from '../../../common/contract';
import { backfillTurnFigures } from '../../../main/store/turn-figures';
import { fixture, tempDir } from '../../support/paths';
import { call, callError, createBeethoven, makeStudio } from '../../support/studio';

// Imports: the paper's generated JSON lists (shapes of METHOD.md §4, written here: the shared
// fixtures hold only interviews), real files of the paper's repository that are not datasets,
// bad lines named by file and line with nothing imported, cancelling, and a long import that
// leaves the event loop free.

let env: ReturnType<typeof makeStudio>;
let tmp: ReturnType<typeof tempDir>;
let characterId: CharacterId;

beforeAll(async () => {
  env = makeStudio();
  tmp = tempDir('cs-import-');
  characterId = await createBeethoven(env.studio);
});
afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
  tmp?.cleanup();
});

function write(name: string, content: string): string {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const sceneCount = async () => (await call(env.studio, 'dataset/stats', { characterId })).scenes;

async function allScenes(): Promise<Scene[]> {
  const page = await call(env.studio, 'scenes/list', { characterId, limit: 500 });
  return Promise.all(page.scenes.map((s) => call(env.studio, 'scenes/get', { id: s.id })));
}

const dialogue = (n: number, extra: Record<string, unknown> = {}) => ({
  setting: ['Bonn, 1782. The organ loft is cold.'],
  dialogue: [
    { role: 'Beethoven', action: '(thinking)', content: `Thought ${n}.` },
    { role: 'Neefe', action: '(speaking)', content: `Play it again, ${n}.` },
    { role: 'Beethoven', action: '(speaking)', content: `Yes, Herr Neefe.\n\nAt once.` },
  ],
  location: 'The court chapel',
  background: 'junk in the released files',
  source: `seed_dialogue_${n}`,
  ...extra,
});

describe("the paper's generated files", () => {
  it('imports dialogues, protective scenes (hallucination) and bare scenes, keeping odd labels and cut-offs as problems', async () => {
    const before = await sceneCount();
    const dialogues = write(
      'generated_agent_dialogue_Beethoven.json',
      JSON.stringify([
        dialogue(0),
        dialogue(1, {
          dialogue: [
            { role: 'Beethoven', action: '((speaking)', content: 'An odd label.' },
            { role: 'Neefe', action: '(speaking)', content: 'Cut off <|NONSTOP|>' },
          ],
        }),
      ]),
    );
    const report = await call(env.studio, 'dataset/import', { characterId, path: dialogues });
    expect(report).toMatchObject({ format: 'paper-dialogue', scenes: 2, experiences: 2, protective: 0 });
    const hallucination = write(
      'generated_agent_hallucination_Beethoven.json',
      JSON.stringify([dialogue(9, { location: 'A room', setting: ['Beethoven is chatting with a person.'] })]),
    );
    expect(await call(env.studio, 'dataset/import', { characterId, path: hallucination })).toMatchObject({
      protective: 1,
    });
    const scenesFile = write(
      'generated_agent_scene_Beethoven.json',
      JSON.stringify([
        {
          type: 'debate',
          location: 'Vienna',
          background: 'A debate on Handel.',
          source: 'seed_scene_0_c1',
          profile: '…',
        },
      ]),
    );
    expect(await call(env.studio, 'dataset/import', { characterId, path: scenesFile })).toMatchObject({
      format: 'paper-scenes',
      scenes: 1,
      experiences: 0,
    });
    expect(await sceneCount()).toBe(before + 4);

    const scenes = await allScenes();
    const first = scenes.find(
      (s) => s.location === 'The court chapel' && s.experience?.turns[0]?.text === 'Thought 0.',
    )!;
    expect(first.origin).toBe('import');
    expect(first.background).toBe('Bonn, 1782. The organ loft is cold.');
    // A turn spanning paragraphs stays whole (the reference parser's defect is not repeated).
    expect(first.experience!.turns[2]).toEqual({
      speaker: 'Beethoven',
      kind: 'speaking',
      text: 'Yes, Herr Neefe.\n\nAt once.',
    });
    const odd = scenes.find((s) => s.experience?.turns[0]?.text === 'An odd label.')!;
    expect(odd.experience!.problems.map((p) => [p.code, p.turn])).toEqual([
      ['unknown_kind', 0],
      ['truncated', 1],
    ]);
    expect(scenes.find((s) => s.protective)?.location).toBe('A room');
    const bare = scenes.find((s) => s.type === 'debate')!;
    expect(bare.experience).toBeNull();
    const revisions = await call(env.studio, 'scenes/revisions', { id: bare.id });
    expect(revisions[0]!.importedFrom).toMatchObject({
      file: scenesFile,
      line: 1,
      source: 'seed_scene_0_c1',
      format: 'paper-scenes',
    });
  });
});

describe("imported experiences' figures", () => {
  it('are stored as a written experience stores them: speakers and turn lengths equal a recount', async () => {
    const file = write(
      'generated_agent_dialogue_Beethoven.json',
      JSON.stringify([
        dialogue(30),
        dialogue(31, { dialogue: [{ role: 'Neefe', action: '(speaking)', content: 'Again.' }] }),
      ]),
    );
    await call(env.studio, 'dataset/import', { characterId, path: file });
    const db = env.studio.db;
    const stored = () => ({
      speakers: db
        .prepare('SELECT scene_id, speaker, kind, turns, words FROM experience_speakers ORDER BY 1, 2, 3')
        .all(),
      lengths: db.prepare('SELECT scene_id, bucket, turns FROM scene_turn_lengths ORDER BY 1, 2').all(),
    });
    const imported = stored();
    expect(imported.speakers).toContainEqual(expect.objectContaining({ speaker: 'Neefe', kind: 'speaking', turns: 1 }));
    db.transaction(() => backfillTurnFigures(db))();
    expect(stored()).toEqual(imported);
  });
});

describe('bad input', () => {
  async function refused(file: string, pattern: RegExp, format?: 'sharegpt'): Promise<void> {
    const before = await sceneCount();
    const error = await callError(env.studio, 'dataset/import', { characterId, path: file, ...(format && { format }) });
    expect(error.message).toMatch(pattern);
    expect(await sceneCount()).toBe(before);
  }

  const good = JSON.stringify({
    messages: [
      { role: 'user', content: 'Neefe: Hello.' },
      { role: 'assistant', content: 'Good day.' },
    ],
  });

  it('names the file and the line of a line that is not JSON, and imports nothing', async () => {
    await refused(
      write('broken.jsonl', `${good}\n${good}\n{"messages": [oops\n`),
      /broken\.jsonl, line 3: the line is not JSON .*nothing was imported/,
    );
  });

  it('names a missing field and a wrong shape', async () => {
    await refused(
      write('missing.jsonl', `${good}\n{"messages": [{"role": "user"}]}\n`),
      /missing\.jsonl, line 2: messages\[0\]\.content must be a string/,
    );
    await refused(write('shape.jsonl', `${good}\n[1, 2]\n`), /shape\.jsonl, line 2: the line is not a JSON object/);
    await refused(
      write('role.jsonl', `${good}\n{"messages": [{"role": "wizard", "content": "x"}]}\n`),
      /role\.jsonl, line 2: messages\[0\] has the role "wizard"/,
    );
    await refused(
      write('paper-bad.jsonl', '{"prompt": "Hello", "output": "x<|eot|>"}\n'),
      /paper-bad\.jsonl, line 1: prompt is not the paper's meta prompt/,
    );
    await refused(
      write('wrong-format.jsonl', `${good}\n`),
      /wrong-format\.jsonl, line 1: conversations must be a list/,
      'sharegpt',
    );
  });

  it('says an empty file or a file of unknown shape has nothing to import', async () => {
    await refused(write('empty.jsonl', ''), /empty\.jsonl is empty: there is nothing to import/);
    await refused(write('blank.jsonl', '\n\n  \n'), /blank\.jsonl is empty/);
    await refused(
      write('unknown.jsonl', '{"question": "Why?"}\n'),
      /unknown\.jsonl, line 1: the first item \(keys: question\) is not a dataset format.*Known formats: paper/,
    );
    await refused(write('empty-list.json', '[]'), /empty-list\.json is an empty list/);
    await refused(path.join(tmp.dir, 'nowhere.jsonl'), /There is no file or folder .*nowhere\.jsonl/);
  });

  it("refuses the paper repository's files that are not datasets, naming them", async () => {
    await refused(
      fixture('interview_single/Beethoven_sft.json'),
      /Beethoven_sft\.json, item 1: the first item \(keys: topic_id, question, reply\) is not a scene or dialogue/,
    );
    await refused(fixture('wiki_Beethoven.txt'), /wiki_Beethoven\.txt, line 1: the line is not JSON/);
    await refused(
      fixture('interview_turns/multiturn_Beethoven_sft.jsonl'),
      /multiturn_Beethoven_sft\.jsonl, line 1: the first item \(keys: character, model, topic/,
    );
  });

  it('fails a bad item deep in a file after earlier batches were staged, leaving nothing', async () => {
    const many = Array.from({ length: 1200 }, () => good);
    many.push('{"messages": "not a list"}');
    await refused(
      write('late.jsonl', `${many.join('\n')}\n`),
      /late\.jsonl, line 1201: messages must be a non-empty list/,
    );
  });
});

describe('long imports', () => {
  const line = JSON.stringify({
    messages: [
      { role: 'system', content: 'A quiet room.' },
      { role: 'user', content: 'Neefe: Again.' },
      { role: 'assistant', content: 'As you wish.' },
    ],
  });

  it('report progress, keep the event loop free, and can be cancelled with nothing imported', async () => {
    const file = write('long.jsonl', `${Array.from({ length: 3000 }, () => line).join('\n')}\n`);
    const before = await sceneCount();
    let progressed = 0;
    const during: { stats?: Promise<DatasetStats> } = {};
    const off = env.studio.events.subscribe((name, payload) => {
      if (name !== 'dataset/io-progress' || (payload as { requestId: string }).requestId !== 'slow') return;
      progressed++;
      // Another door's request is answered while the import runs.
      during.stats ??= call(env.studio, 'dataset/stats', { characterId });
    });
    try {
      const report = await call(env.studio, 'dataset/import', { characterId, path: file, requestId: 'slow' });
      expect(report.scenes).toBe(3000);
      expect(progressed).toBeGreaterThanOrEqual(6);
      expect(during.stats).toBeDefined();
      // Read while the import was staged: the store did not hold any of it yet.
      expect(await during.stats).toMatchObject({ scenes: before });
      expect(await sceneCount()).toBe(before + 3000);

      const cancelled = env.studio.events.subscribe((name, payload) => {
        if (name === 'dataset/io-progress' && (payload as { requestId: string }).requestId === 'stop-me') {
          void call(env.studio, 'dataset/io-cancel', { requestId: 'stop-me' });
        }
      });
      const error = await callError(env.studio, 'dataset/import', { characterId, path: file, requestId: 'stop-me' });
      cancelled();
      expect(error.message).toBe('The import was cancelled; nothing was imported.');
      expect(await sceneCount()).toBe(before + 3000);
    } finally {
      off();
    }
  });

  it('imports an uploaded file as well as a path', async () => {
    const before = await sceneCount();
    const report = await call(env.studio, 'dataset/import', {
      characterId,
      fileBase64: Buffer.from(`${line}\n${line.replace('As you wish.', 'Uploaded.')}\n`).toString('base64'),
      fileName: 'upload.jsonl',
    });
    expect(report).toMatchObject({ file: 'upload.jsonl', format: 'openai', scenes: 2 });
    expect(await sceneCount()).toBe(before + 2);
    const last = await call(env.studio, 'scenes/list', { characterId, sort: 'newest', limit: 1 });
    const scene = await call(env.studio, 'scenes/get', { id: last.scenes[0]!.id });
    expect(scene.experience!.turns).toEqual([
      { speaker: 'Neefe', kind: 'speaking', text: 'Again.' },
      { speaker: 'Beethoven', kind: 'speaking', text: 'Uploaded.' },
    ]);
    expect(scene.background).toBe('A quiet room.');
  });
});
