/**
 * `training/preview` against the real trainer in the repository's .venv, with the tiny local model:
 * the studio's scene, exported as training exports it, rendered by the trainer's `preview`.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedLessonWithExperience } from '../../support/scenes';
import type {
  CharacterId,
  SceneId,
  TrainingFormat,
  TrainingPreview,
  TrainingPreviewRequest,
} from '../../../common/contract';
import { runCliIn } from '../../support/cli';
import { tempDir } from '../../support/paths';
import { deadPid } from '../../support/pids';
import { call, callError, createBeethoven, makeStudio } from '../../support/studio';
import { buildTinyModel, lessonDoc, trainerEnv } from './fixtures';

const doc = lessonDoc;

const trainedText = (p: TrainingPreview) =>
  p.tokens
    .filter((t) => t.trained && !t.added)
    .map((t) => t.piece)
    .join('');
const text = (p: TrainingPreview) =>
  p.tokens
    .filter((t) => !t.added)
    .map((t) => t.piece)
    .join('');

describe('training/preview with the real trainer', { timeout: 180_000 }, () => {
  const models = tempDir('cs-preview-model-');
  const hfCache = tempDir('cs-preview-hf-');
  let env: ReturnType<typeof makeStudio>;
  let model: string;
  let characterId: CharacterId;
  let sceneId: SceneId;
  const saved = Object.fromEntries(['HF_HUB_CACHE', ...Object.keys(trainerEnv)].map((k) => [k, process.env[k]]));

  /** `training/preview` of the test's scene with the tiny model, unless `extra` says otherwise. */
  const render = (format: TrainingFormat, maxLength: number, extra: Partial<TrainingPreviewRequest> = {}) =>
    call(env.studio, 'training/preview', { sceneId, baseModel: model, format, maxLength, ...extra });
  const previewError = (extra: Partial<TrainingPreviewRequest>) =>
    callError(env.studio, 'training/preview', { sceneId, baseModel: model, format: 'chat', maxLength: 512, ...extra });

  /** What a killed studio leaves: its server's folder, a request's job file (scene text) in it. */
  const leftByDeadStudio = join(os.tmpdir(), `cs-preview-${deadPid()}-Killed`);

  beforeAll(async () => {
    fs.mkdirSync(join(leftByDeadStudio, '1'), { recursive: true });
    fs.writeFileSync(join(leftByDeadStudio, '1', 'job.json'), '{}');
    Object.assign(process.env, trainerEnv, { HF_HUB_CACHE: hfCache.dir });
    model = buildTinyModel(join(models.dir, 'tiny-llama'));
    env = makeStudio();
    characterId = await createBeethoven(env.studio);
    sceneId = (await call(env.studio, 'scenes/create', { characterId, doc })).id;
  }, 120_000);
  afterAll(async () => {
    await env.studio.shutdown();
    env.cleanup();
    models.cleanup();
    hfCache.cleanup();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('shows the chat format: the whole text, loss on the character’s turns only', async () => {
    const preview = await render('chat', 512);
    expect(preview).toMatchObject({ sceneId, revision: 1, format: 'chat', cutAt: null, excluded: null });
    expect(text(preview)).toContain('I want you to act like Ludwig van Beethoven.');
    expect(text(preview)).toContain('Neefe: Play it again, slower this time.');
    const trained = trainedText(preview);
    expect(trained).toContain('(thinking) He hears every dragging note.');
    expect(trained).toContain('Good morning, Herr Neefe.\nI have brought the variations.');
    expect(trained).not.toContain('Neefe:');
    expect(preview.trainedTokens).toBe(preview.tokens.filter((t) => t.trained).length);
    expect(preview.templateHash).toMatch(/^[0-9a-f]{64}$/);

    // A run's `thinking: drop` leaves the character's thoughts out of the chat format, and so does the preview.
    const dropped = await render('chat', 512, { thinking: 'drop' });
    expect(dropped.thinking).toBe('drop');
    expect(text(dropped)).not.toContain('He hears every dragging note.');
    expect(trainedText(dropped)).toContain('Good morning, Herr Neefe.');
  });

  it('shows the paper’s format: every turn after the prompt trained, ending with EOS', async () => {
    const preview = await render('character-llm', 512);
    expect(trainedText(preview)).toBe(
      'Neefe (speaking): Play it again, slower this time.<|eot|>\n' +
        'Beethoven (thinking): He hears every dragging note.<|eot|>\n' +
        'Beethoven (speaking): Good morning, Herr Neefe.\nI have brought the variations.<|eot|>',
    );
    expect(text(preview)).toContain("Location: Neefe's room in Bonn, 1782\nStatus: Sheet music covers the table.");
    const last = preview.tokens.at(-1)!;
    expect(last).toMatchObject({ piece: '</s>', trained: true, added: true });
  });

  it('marks where max_length cuts, and previews each saved revision anew', async () => {
    const cut = await render('character-llm', 40);
    expect(cut.cutAt).toBe(40);
    expect(cut.tokens.length).toBeGreaterThan(40);
    expect(cut.trainedTokens).toBe(cut.tokens.slice(0, 40).filter((t) => t.trained).length);

    const opened = await call(env.studio, 'scenes/open', { id: sceneId });
    const turns = [...doc.turns, { speaker: 'Beethoven', kind: 'speaking' as const, text: 'Shall I begin?' }];
    await call(env.studio, 'scenes/save', { id: sceneId, baseRevision: opened.revision, doc: { ...doc, turns } });
    const again = await render('character-llm', 512);
    expect(again.revision).toBe(2);
    expect(trainedText(again)).toContain('Shall I begin?');
  });

  it('keeps one trainer warm for every preview, and replaces it when it dies', async () => {
    await render('chat', 512);
    // The studio's first preview removed the folder a killed one left.
    expect(fs.existsSync(leftByDeadStudio)).toBe(false);
    const [warm, ...others] = env.studio.previews.trainerPids();
    expect(warm).toBeGreaterThan(0);
    expect(others).toEqual([]);
    // Another format, another length, a newly saved revision: the same process answers them all.
    const opened = await call(env.studio, 'scenes/open', { id: sceneId });
    const turns = [...opened.doc.turns, { speaker: 'Neefe', kind: 'speaking' as const, text: 'Begin, then.' }];
    await call(env.studio, 'scenes/save', {
      id: sceneId,
      baseRevision: opened.revision,
      doc: { ...opened.doc, turns },
    });
    const edited = await render('character-llm', 300);
    expect(trainedText(edited)).toContain('Neefe (speaking): Begin, then.');
    expect(env.studio.previews.trainerPids()).toEqual([warm]);

    process.kill(warm!, 'SIGKILL');
    await expect.poll(() => env.studio.previews.trainerPids(), { timeout: 30_000 }).toEqual([]);
    const after = await render('chat', 300);
    expect(after.revision).toBe(edited.revision);
    const [replacement] = env.studio.previews.trainerPids();
    expect(replacement).toBeGreaterThan(0);
    expect(replacement).not.toBe(warm);
  });

  it('has a CLI face: trained tokens in brackets, a line where max_length cuts', async () => {
    const args = ['train', 'preview', 'Beethoven', '--scene', sceneId, '--base-model', model];
    const shown = await runCliIn(env.dir, [...args, '--format', 'character-llm', '--max-length', '140']);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('The interactions are as follows:\n\n[Neefe (speaking)');
    expect(shown.out).toContain(']\n──── max_length 140 cuts here: what follows is not trained on ────\n');
    expect(shown.err).toMatch(/\d+ tokens, \d+ trained; cut at token 140 by max_length 140\./);
    const json = await runCliIn(env.dir, [...args, '--format', 'chat', '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ sceneId, format: 'chat', maxLength: 2048, cutAt: null });
    const wrong = await runCliIn(env.dir, [...args, '--format', 'raw']);
    expect(wrong).toMatchObject({ code: 2, err: expect.stringMatching(/--format must be chat or character-llm/) });
    // A generated scene's revision is named as scenes history numbers it (stored as 2, listed as 1).
    const generated = await generatedLessonWithExperience(env.studio, characterId);
    const named = await runCliIn(env.dir, [
      ...['train', 'preview', generated.characterId, '--scene', generated.id, '--base-model', model, '--json'],
    ]);
    expect(named.code, named.err).toBe(0);
    expect(named.err).toContain(`Rendering scene ${generated.id} (revision 1) with the trainer's tokenizer code…`);
  });

  it('says when review keeps a scene out of training', async () => {
    await call(env.studio, 'review/set', { characterId, ids: [sceneId], status: 'rejected' });
    const preview = await render('chat', 512);
    expect(preview.excluded).toMatch(/Rejected in review/);
    await call(env.studio, 'review/set', { characterId, ids: [sceneId], status: 'unreviewed' });
  });

  it('refuses a hub id that is not in the local cache, and lists the ones that are', async () => {
    const error = await previewError({ baseModel: 'nobody/not-a-model' });
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(/not in the local Hugging Face cache.*never downloads/);
    expect(fs.readdirSync(hfCache.dir)).toEqual([]);

    const repo = join(hfCache.dir, 'models--studio-test--tiny-llama');
    const sha = '0123456789abcdef0123456789abcdef01234567';
    fs.mkdirSync(join(repo, 'refs'), { recursive: true });
    fs.writeFileSync(join(repo, 'refs', 'main'), sha);
    fs.mkdirSync(join(repo, 'snapshots', sha), { recursive: true });
    for (const name of ['tokenizer.json', 'tokenizer_config.json', 'config.json', 'chat_template.jinja'])
      if (fs.existsSync(join(model, name))) fs.copyFileSync(join(model, name), join(repo, 'snapshots', sha, name));
    expect(await call(env.studio, 'training/cached-models', {})).toEqual({
      cacheDir: hfCache.dir,
      models: [{ id: 'studio-test/tiny-llama', revision: sha, weights: false }],
    });
    const fromCache = await render('chat', 512, { baseModel: 'studio-test/tiny-llama' });
    expect(fromCache.trainedTokens).toBeGreaterThan(0);
  });

  it('without Python, says what is needed and how to get it', async () => {
    const error = await previewError({ python: '/nonexistent/bin/python' });
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/runs the trainer's own tokenizer code, in Python/);
    expect(error.message).toMatch(/Set up the studio's Python/);
    expect(error.message).toMatch(/scripts\/setup-python\.sh/);
  });
});
