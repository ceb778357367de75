import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, RunId, TrainingLog, TrainingPoint, TrainingRun } from '../../../common/contract';
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
 * to (the file `crash-next` beside it), as a power cut would. Asked by `hold-train`, the next training
 * attempt instead logs a line, waits for the studio's `stop` on its stdin, logs what it was asked and
 * exits as the trainer then does (4, stopped); by `hold-export`, the next export waits until it is killed: a run or an export caught in
 * the middle, whenever the test acts.
 */
const work = tempDir('cs-train-cli-');
const data = path.join(work.dir, 'data');
let server: FakeLlmServer;
let characterId: CharacterId;
const home = process.cwd();

const cli = (args: string[]) => runCliIn(data, args);
/** The CLI, told each stderr line as it is printed. */
const cliWatching = (args: string[], onErr: (line: string) => void) => runCliIn(data, args, '', undefined, onErr);

/** The character's runs, newest first, read by a studio opened for the purpose. */
function runs(): TrainingRun[] {
  const env = makeStudio(data);
  try {
    return env.studio.training.list(characterId);
  } finally {
    env.studio.close();
  }
}

/** The run's stored trainer log, read by a studio opened for the purpose. */
function logOf(id: RunId): TrainingLog {
  const env = makeStudio(data);
  try {
    return env.studio.training.log(id, null, 10_000);
  } finally {
    env.studio.close();
  }
}

/** `train show`'s line about the run's log. */
function logLine(run: TrainingRun): string {
  const lines = logOf(run.id).lines.length;
  return `Log: ${lines} line${lines === 1 ? '' : 's'} kept; read them with: character-studio train log ${run.id.slice(0, 13)}`;
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
      '  if [ -e "$here/crash-next" ]; then rm -f "$here/crash-next"; kill -9 $$; fi',
      '  if [ -e "$here/hold-train" ]; then rm -f "$here/hold-train"; echo "held: waiting" >&2; read -r line; echo "held: asked to $line" >&2; exit 4; fi;;',
      '*"character_trainer export"*)',
      '  if [ -e "$here/hold-export" ]; then rm -f "$here/hold-export"; exec sleep 600; fi;;',
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

/** The id as a person types it: its start, the first 13 characters (the creation time, to the millisecond). */
const prefix = (run: TrainingRun) => run.id.slice(0, 13);
const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

describe('character-studio train list, show, export, stop and cancel', () => {
  it('lists the runs newest first and shows one by the start of its id, with its figures', async () => {
    const all = runs();
    expect(all.map((r) => [r.status, r.step > 0 && r.step === r.totalSteps])).toEqual([
      ['succeeded', true],
      ['succeeded', true],
      ['succeeded', true],
    ]);
    const listed = await cli(['train', 'list', 'Beethoven']);
    expect(listed.code, listed.err).toBe(0);
    const tiny = path.join(fs.realpathSync(work.dir), 'tiny');
    expect(listed.out.split('\n')).toEqual(
      all.flatMap((r) => [
        `${r.id}  succeeded   step ${r.step}/${r.totalSteps} · loss ${r.points.findLast((p) => p.loss !== null)!.loss!.toFixed(4)} · ${minute(r.createdAt)}`,
        `    ${tiny} · ${r.config.format} · local`,
      ]),
    );
    const json = await cli(['train', 'list', 'Beethoven', '--json']);
    expect((JSON.parse(json.out) as TrainingRun[]).map((r) => r.id)).toEqual(all.map((r) => r.id));

    const run = all[1]!; // the chat run that crashed before it trained, then was resumed
    /** The first, last and lowest of a loss, each with its step, as `show` prints them. */
    const figures = (field: 'loss' | 'evalLoss') => {
      const measured = run.points.filter((p) => p[field] !== null);
      const lowest = measured.reduce((low, p) => (p[field]! < low[field]! ? p : low));
      const at = (p: TrainingPoint) => `${p[field]!.toFixed(4)} (step ${p.step})`;
      return { first: at(measured[0]!), last: at(measured.at(-1)!), lowest: at(lowest) };
    };
    const [loss, evalLoss] = [figures('loss'), figures('evalLoss')];
    const shown = await cli(['train', 'show', prefix(run)]);
    expect(shown.code, shown.err).toBe(0);
    const h = run.config.hyperparameters;
    const lines = shown.out.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      `Run ${run.id} · succeeded`,
      `Base model: ${tiny} · chat format · local · python ${path.join(fs.realpathSync(work.dir), 'py')}`,
      `Settings: LoRA r${h.loraRank} alpha ${h.loraAlpha} · lr ${h.learningRate} · 1 epoch(s) · batch 2 × ${h.gradAccumulation} · max length 192 · max steps 3 · dtype auto`,
      `Started ${minute(run.createdAt)} · ended ${minute(run.finishedAt!)}`,
      expect.stringMatching(
        new RegExp(
          `^Steps: ${run.step} of ${run.step} · epoch \\S+ · ${run.examples} examples · \\d+ tokens/s · peak \\d+\\.\\d GiB on cpu$`,
        ),
      ),
      `Loss: first ${loss.first} · last ${loss.last} · lowest ${loss.lowest}`,
      `Eval loss: last ${evalLoss.last} · lowest ${evalLoss.lowest}`,
      'Warnings:',
    ]);
    expect(lines.slice(8, 8 + run.warnings.length)).toEqual(run.warnings.map((w) => `  ${w.message}`));
    expect(lines.slice(8 + run.warnings.length)).toEqual([
      logLine(run),
      'Files:',
      `  LoRA adapter: ${run.outputs.adapter}`,
      `  Manifest: ${run.outputs.manifest}`,
      `  Trainer events: ${run.outputs.events}`,
      `  Run folder: ${run.runDir}`,
    ]);
    expect(JSON.parse((await cli(['train', 'show', run.id, '--json'])).out)).toMatchObject({
      id: run.id,
      outputs: run.outputs,
    });

    const unknown = await cli(['train', 'show', 'ffffffff-0000']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe(
      'Error: No training run has the id "ffffffff-0000" or one starting with it. See the ids with: character-studio train list <character>',
    );
    expect(
      (await cli(['characters', 'create', '--full-name', 'Wolfgang Amadeus Mozart', '--short-name', 'Mozart'])).code,
    ).toBe(0);
    const none = await cli(['train', 'list', 'Mozart']);
    expect(none.out).toBe(
      'Wolfgang Amadeus Mozart has no training runs yet. Start one with: character-studio train "Mozart" --base-model <hf-id|folder> (see --help).',
    );
  });

  it('exports a finished run with --merged, its progress on stderr and its files on stdout', async () => {
    const run = runs()[1]!;
    const exported = await cli(['train', 'export', prefix(run), '--merged', '--ollama-name', 'beethoven']);
    expect(exported.code, exported.err).toBe(0);
    expect(exported.err.split('\n')).toEqual(
      expect.arrayContaining(['Starting the trainer…', 'Merging the adapter into the base model…']),
    );
    const merged = path.join(run.runDir, 'exports', 'merged');
    const modelfile = runs()[1]!.outputs.modelfile!;
    expect(exported.out).toBe(`Merged model: ${merged}\nOllama Modelfile: ${modelfile}`);
    // What a base model must be for the studio (config.json and weights in the folder), and Ollama's file names it.
    expect(fs.existsSync(path.join(merged, 'config.json'))).toBe(true);
    expect(fs.readdirSync(merged).some((f) => f.endsWith('.safetensors'))).toBe(true);
    const env = makeStudio(data);
    try {
      expect(env.studio.training.baseModelProblem(merged, 'local')).toBeNull();
    } finally {
      env.studio.close();
    }
    expect(fs.readFileSync(modelfile, 'utf8')).toMatch(/^FROM /m);
    const listed = await cli(['train', 'list', 'Beethoven']);
    expect(listed.out).toContain(`${run.config.baseModel} · chat · local · exported: merged, modelfile`);
    const shown = await cli(['train', 'show', prefix(run)]);
    expect(shown.out).toContain(`  Merged model: ${merged}\n`);

    const neither = await cli(['train', 'export', 'no-such-run']);
    expect(neither.code).toBe(2);
    expect(neither.err).toMatch(/^Say what to export: --merged .* or --gguf /);
    const badName = await cli(['train', 'export', prefix(run), '--merged', '--ollama-name', 'Beethoven']);
    expect(badName.code).toBe(2);
    expect(badName.err).toMatch(/^--ollama-name must be lower-case letters, .* not "Beethoven"\./);
  }, 120_000);

  it('cancels an export on Ctrl+C, exits 130 and leaves the run as it was', async () => {
    const run = runs()[0]!;
    fs.writeFileSync(path.join(work.dir, 'hold-export'), '');
    const cancelled = await cliWatching(['train', 'export', prefix(run), '--merged'], (line) => {
      if (line === 'Starting the trainer…') process.emit('SIGINT');
    });
    expect(cancelled.code, cancelled.err).toBe(130);
    expect(cancelled.err.split('\n').slice(-2)).toEqual([
      'Cancelling the export…',
      'Export cancelled. The run and its adapter are unchanged.',
    ]);
    expect(cancelled.out).toBe('');
    const after = runs()[0]!;
    expect(after).toMatchObject({ status: 'succeeded', exporting: null, outputs: run.outputs });
    expect(fs.existsSync(run.outputs.adapter!)).toBe(true);
  }, 60_000);

  it('stops a run another process trains, asked there, while train log --follow prints its new lines', async () => {
    fs.writeFileSync(path.join(work.dir, 'hold-train'), '');
    const before = new Set(runs().map((r) => r.id));
    const training = cli([...TRAIN, ...SMALL, '--new']);
    // The terminal follows its run, and listens for Ctrl+C, once the trainer has started (a listener
    // an earlier command has not yet let go of does not count: the new run must be there too).
    await expect.poll(() => runs().some((r) => !before.has(r.id)) && process.listenerCount('SIGINT') === 1).toBe(true);
    const run = runs().find((r) => !before.has(r.id))!;
    expect(run.status).toBe('running');
    await expect.poll(() => logOf(run.id).lines.map((l) => l.line)).toContain('held: waiting');
    // Each command opens a studio of its own: to it, the run is trained by another (the `train` above).
    let following = false;
    const follow = cliWatching(['train', 'log', prefix(run), '--follow'], (line) => {
      if (line.startsWith('Following')) following = true;
    });
    await expect.poll(() => following).toBe(true);
    const stop = await cli(['train', 'stop', prefix(run)]);
    expect(stop.code, stop.err).toBe(0);
    expect(stop.out.split('\n')[0]).toMatch(new RegExp(`^${run.id}  stopping    step 0/0 · `));
    expect(stop.err).toBe('Stopping: asked the process training this run to save a checkpoint and stop…');
    // The process training it stops it as Ctrl+C there would: the trainer is told `stop`.
    expect((await training).code).toBe(3);
    expect(runs()[0]!.status).toBe('stopped');
    const followed = await follow;
    expect(followed.code, followed.err).toBe(0);
    const stored = logOf(run.id).lines.map((l) => l.line);
    expect(stored.slice(-2)).toEqual(['held: waiting', 'held: asked to stop']);
    expect(followed.out).toBe(stored.join('\n'));
    expect(followed.err.split('\n').at(-1)).toMatch(/^The run is stopped: /);

    // --json with --follow: one object per stored line, read as they come (the run has ended: at once).
    const asJson = await cli(['train', 'log', prefix(run), '--json', '--follow']);
    expect(asJson.code, asJson.err).toBe(0);
    expect(asJson.out.split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(
      logOf(run.id).lines.map((l) => ({ seq: l.seq, line: l.line })),
    );
    expect(asJson.err.split('\n').at(-1)).toMatch(/^The run is stopped: /);

    const last = await cli(['train', 'log', prefix(run), '--lines', '1']);
    expect(last).toMatchObject({ code: 0, out: 'held: asked to stop' });
    expect(last.err).toBe(`(the last 1 of ${stored.length} lines; without --lines, every line kept)`);
    expect((await cli(['train', 'log', prefix(run), '--lines', '0'])).err).toMatch(
      /^--lines must be a whole number from 1 to 10000, not "0"\./,
    );

    const cancelled = await cli(['train', 'cancel', prefix(run)]);
    expect(cancelled.code, cancelled.err).toBe(0);
    expect(cancelled.out.split('\n')[0]).toMatch(new RegExp(`^${run.id}  cancelled   step 0/0 · `));
    expect(cancelled.err).toBe('Cancelled.');
    expect(runs()[0]!.status).toBe('cancelled');
    const shown = await cli(['train', 'show', prefix(run)]);
    expect(shown.out.split('\n').slice(5)).toEqual([
      'Loss: none reported yet',
      'Message: Cancelled.',
      logLine(run),
      'Files:',
      `  Run folder: ${run.runDir}`,
    ]);
    const again = await cli(['train', 'cancel', prefix(run)]);
    expect(again).toMatchObject({ code: 1, err: 'Error: A cancelled run cannot be cancelled.' });
  }, 60_000);
});

describe('character-studio train setup', () => {
  it('refuses an interpreter that is not there, says how to name one, and creates nothing', async () => {
    const fresh = path.join(work.dir, 'fresh-data');
    const missing = path.join(fs.realpathSync(work.dir), 'no-python');
    const setup = await runCliIn(fresh, ['train', 'setup', '--python', './no-python']);
    expect(setup.code).toBe(1);
    const venv = path.join(fresh, 'python');
    const why = `Cannot create the trainer's Python environment: ${missing} was not found. Install Python 3.10+ or choose its path in the trainer settings.`;
    expect(setup.err.split('\n')).toEqual([
      `  creating a Python environment in ${venv} with ${missing}`,
      `  failed: ${why}`,
      'Name a Python 3.10 or newer to create it with: character-studio train setup --python <interpreter>; or train with your own environment: train <character> --python <its python>.',
    ]);
    expect(setup.out).toBe(`✗ ${venv}: ${why}`);
    expect(fs.existsSync(venv)).toBe(false);
  });

  it('says an environment already set up is up to date and gives the doctor its verdict', async () => {
    const ready = path.join(work.dir, 'ready-data');
    fs.mkdirSync(path.join(ready, 'python', 'bin'), { recursive: true });
    // The environment a past setup made: here the venv the tests train with, reached from where setup makes it.
    fs.writeFileSync(path.join(ready, 'python', 'bin', 'python'), `#!/bin/sh\nexec ${venvPython} "$@"\n`, {
      mode: 0o755,
    });
    const setup = await runCliIn(ready, ['train', 'setup', '--json']);
    expect(setup.code, setup.err).toBe(0);
    expect(setup.err).toMatch(new RegExp(`^  ${path.join(ready, 'python')} is up to date \\(Python 3\\.\\d+`));
    expect(setup.err).toContain(`  ready: ${path.join(ready, 'python', 'bin', 'python')}`);
    expect(JSON.parse(setup.out)).toMatchObject({ ok: true, torch: expect.stringMatching(/^2\./) });
  }, 60_000);
});
