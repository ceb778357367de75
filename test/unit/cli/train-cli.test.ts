import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, TrainingRun } from '../../../common/contract';
import { runCliIn } from '../../support/cli';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';
import { studioResponder } from '../../support/studio-responder';
import { generatedBeethoven, makeStudio } from '../../support/studio';
import { buildTinyModel, venvPython } from '../trainer/fixtures';

/**
 * `character-studio train` as a user types it, from a folder of their own: relative paths, a run
 * that dies with the machine and the same command typed again. The trainer is the real one, on the
 * tiny random Llama; a wrapper around the venv's Python kills the next training attempt when asked
 * to (the file `crash-next` beside it), as a power cut would.
 */
const work = tempDir('cs-train-cli-');
const data = path.join(work.dir, 'data');
let server: FakeLlmServer;
let characterId: CharacterId;
const home = process.cwd();

const cli = (args: string[]) => runCliIn(data, args);

/** The character's runs, newest first, read by a studio opened for the purpose. */
function runs(): TrainingRun[] {
  const env = makeStudio(data);
  try {
    return env.studio.training.list(characterId);
  } finally {
    env.studio.close();
  }
}

/** The same arguments every time, paths relative to the user's folder; `extra` adds or overrides. */
const TRAIN = ['train', 'Beethoven', '--base-model', './tiny', '--python', './py', '--max-steps', '3'];
const SMALL = ['--batch', '2', '--max-length', '192', '--epochs', '1'];

beforeAll(async () => {
  buildTinyModel(path.join(work.dir, 'tiny'));
  fs.writeFileSync(
    path.join(work.dir, 'py'),
    [
      '#!/bin/sh',
      'here=$(dirname "$0")',
      'case "$*" in *"character_trainer train"*)',
      '  if [ -e "$here/crash-next" ]; then rm -f "$here/crash-next"; kill -9 $$; fi;;',
      'esac',
      `exec ${venvPython} "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  fs.mkdirSync(path.join(work.dir, 'empty-model'));
  fs.writeFileSync(path.join(work.dir, 'empty-model', 'README.md'), 'weights go here');
  server = await startFakeLlmServer({ responder: studioResponder() });
  const env = makeStudio(data);
  characterId = await generatedBeethoven(env.studio, server.baseURL, 6);
  env.studio.close();
  process.chdir(work.dir);
}, 120_000);
afterAll(async () => {
  process.chdir(home);
  await server?.close();
  work.cleanup();
});

describe('character-studio train, typed again', () => {
  it('resumes the interrupted run with the same arguments, and starts a new one for another format', async () => {
    fs.writeFileSync(path.join(work.dir, 'crash-next'), '');
    const crashed = await cli([...TRAIN, ...SMALL]);
    expect(crashed.code, crashed.err).toBe(1);
    let all = runs();
    expect(all.map((r) => r.status)).toEqual(['interrupted']);
    // Paths were taken from where the user stands, not from the run's folder the trainer runs in.
    expect(all[0]!.config.baseModel).toBe(path.join(fs.realpathSync(work.dir), 'tiny'));
    expect(all[0]!.config.python).toBe(path.join(fs.realpathSync(work.dir), 'py'));

    const again = await cli([...TRAIN, ...SMALL]);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/Resuming the interrupted run of Ludwig van Beethoven/);
    expect(again.err).not.toMatch(/keeps its own settings/);
    // The trainer's warning (scenes longer than --max-length) reached the command line.
    expect(again.err).toMatch(/Warning: \d+ training scene\(s\) are longer than max_length=192/);
    all = runs();
    expect(all.map((r) => r.status)).toEqual(['succeeded']);
    expect(all[0]!.warnings.map((w) => w.code)).toContain('scenes_truncated');

    // A second run dies too; then another format starts a new run beside it, and says so.
    fs.writeFileSync(path.join(work.dir, 'crash-next'), '');
    expect((await cli([...TRAIN, ...SMALL])).code).toBe(1);
    const other = await cli([...TRAIN, ...SMALL, '--format', 'character-llm']);
    expect(other.code, other.err).toBe(0);
    expect(other.err).toMatch(/Starting a new run: the interrupted run .* chat format, and this one .* character-llm/);
    all = runs();
    expect(all.map((r) => [r.config.format, r.status])).toEqual([
      ['character-llm', 'succeeded'],
      ['chat', 'interrupted'],
      ['chat', 'succeeded'],
    ]);

    // With other settings the run still resumes with its own, and the note says which differ.
    const changed = await cli([...TRAIN, ...SMALL, '--epochs', '2']);
    expect(changed.code, changed.err).toBe(0);
    expect(changed.err).toMatch(/keeps its own settings \(epochs: 1 \(asked 2\)\).*--new/);
    expect(runs().map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  }, 300_000);

  it('refuses a base model that is not there, before a run starts, from any folder', async () => {
    const elsewhere = path.join(work.dir, 'elsewhere');
    fs.mkdirSync(elsewhere, { recursive: true });
    process.chdir(elsewhere);
    try {
      const before = runs().length;
      const missing = await cli(['train', 'Beethoven', '--base-model', '../nope', '--python', '../py']);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain(`There is no ${path.join(fs.realpathSync(work.dir), 'nope')}.`);
      const empty = await cli(['train', 'Beethoven', '--base-model', '../empty-model', '--new']);
      expect(empty.err).toMatch(/empty-model holds no model: there is no config\.json in it/);
      const malformed = await cli(['train', 'Beethoven', '--base-model', 'Qwen//Qwen2.5', '--new']);
      expect(malformed.err).toMatch(/"Qwen\/\/Qwen2\.5" is neither a Hugging Face id/);
      expect(runs().length).toBe(before);
      // The doctor takes a relative interpreter from here too (this one is not there).
      const doctor = await cli(['doctor', '--python', '../no-python', '--json']);
      expect(JSON.parse(doctor.out)).toMatchObject({
        ok: false,
        python: path.join(fs.realpathSync(work.dir), 'no-python'),
      });
    } finally {
      process.chdir(work.dir);
    }
  }, 60_000);

  it('takes the paths of other commands from where the user stands too', async () => {
    const here = path.join(work.dir, 'desk');
    fs.mkdirSync(path.join(here, 'keys'), { recursive: true });
    fs.writeFileSync(path.join(here, 'letters.txt'), 'Dear brother.\n\nI am going deaf.');
    fs.writeFileSync(path.join(here, 'tiny.gguf'), 'GGUF');
    fs.writeFileSync(path.join(here, 'keys', 'id_ed25519'), 'not a real key');
    const real = fs.realpathSync(here);
    process.chdir(here);
    try {
      const imported = await cli(['profiles', 'import', 'Beethoven', './letters.txt', '--title', 'Letters']);
      expect(imported.out, imported.err).toMatch(/Imported "Letters" \(text\): 2 chunks/);
      const provider = await cli([
        'providers',
        'add',
        '--name',
        'Local',
        '--preset',
        'embedded',
        '--model-path',
        'tiny.gguf',
        '--json',
      ]);
      expect(JSON.parse(provider.out), provider.err).toMatchObject({ modelPath: path.join(real, 'tiny.gguf') });
      const host = await cli([
        'hosts',
        'add',
        '--name',
        'gpu',
        '--host',
        '127.0.0.1',
        '--user',
        'me',
        '--key',
        'keys/id_ed25519',
        '--json',
      ]);
      expect(JSON.parse(host.out), host.err).toMatchObject({ privateKeyPath: path.join(real, 'keys', 'id_ed25519') });
    } finally {
      process.chdir(work.dir);
    }
  });
});
