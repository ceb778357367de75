// The training preview through the real Studio in this process and the real trainer (the
// repository's .venv, the tiny random Llama of test/support/tiny-model.py): the first preview,
// which starts the trainer's Python, then previews of a newly saved revision each time, as a writer
// editing a scene and checking it again asks for them (answered by the warm trainer).
// - `firstPreviewMs`: the first `training/preview` (the trainer starts: imports, tokenizer load);
// - `editedPreviewMs`: the median of 5 previews, each after a save (a new revision: no cached answer).
import { join } from 'node:path';
import { buildTinyModel, lessonDoc, trainerEnv } from '../unit/trainer/fixtures';
import { tempDir } from '../support/paths';
import { call, createBeethoven, makeStudio } from '../support/studio';

const EDITS = 5;

export async function run(): Promise<object> {
  Object.assign(process.env, trainerEnv);
  const models = tempDir('cs-bench-preview-');
  const env = makeStudio();
  try {
    const model = buildTinyModel(join(models.dir, 'tiny-llama'));
    const characterId = await createBeethoven(env.studio);
    const sceneId = (await call(env.studio, 'scenes/create', { characterId, doc: lessonDoc })).id;
    const preview = () =>
      call(env.studio, 'training/preview', { sceneId, baseModel: model, format: 'chat', maxLength: 2048 });

    let started = performance.now();
    await preview();
    const firstMs = performance.now() - started;

    const edited: number[] = [];
    for (let i = 0; i < EDITS; i++) {
      const opened = await call(env.studio, 'scenes/open', { id: sceneId });
      const turns = [...opened.doc.turns, { speaker: 'Beethoven', kind: 'speaking' as const, text: `Again (${i}).` }];
      await call(env.studio, 'scenes/save', {
        id: sceneId,
        baseRevision: opened.revision,
        doc: { ...opened.doc, turns },
      });
      started = performance.now();
      await preview();
      edited.push(performance.now() - started);
    }
    const median = [...edited].sort((a, b) => a - b)[Math.floor(EDITS / 2)]!;
    return {
      firstPreviewMs: { value: Math.round(firstMs), goal: null, unit: 'ms (the trainer starts)' },
      editedPreviewMs: { value: Math.round(median), goal: 1000, unit: `ms, median of ${EDITS} saved edits` },
    };
  } finally {
    await env.studio.shutdown();
    env.cleanup();
    models.cleanup();
  }
}
