import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, DatasetFormat } from '../../../common/contract';
import { splitScore } from '../../../main/core/interop/dataset-export';
import { paperFormat } from '../../../main/core/interop/paper';
import { LINE_FORMATS } from '../../../main/core/interop/registry';
import { NEEFE_SCENE, seedScenes, variedScenes } from '../../support/interop';
import { repoRoot, tempDir } from '../../support/paths';
import { call, callError, createBeethoven, makeStudio } from '../../support/studio';
import { requireVenv, trainerDir, venvPython } from '../trainer/fixtures';

// Datasets out and in on real studios (real SQLite, real files): the paper's format byte for byte
// against METHOD.md §4 and the trainer's own reading, a round trip through every format, the rules
// an export follows, and provenance of what is imported.

let source: ReturnType<typeof makeStudio>;
let tmp: ReturnType<typeof tempDir>;
let characterId: CharacterId;

beforeAll(async () => {
  source = makeStudio();
  tmp = tempDir('cs-interop-');
  characterId = await createBeethoven(source.studio);
  seedScenes(source.studio, characterId, variedScenes());
  // A hand-written scene, and a rejected one that must never leave.
  await call(source.studio, 'scenes/create', {
    characterId,
    doc: {
      type: 'Lesson',
      location: 'Vienna',
      time: '',
      background: 'Ries takes a lesson.',
      people: ['Ries'],
      experienceBackground: 'Ries takes a lesson.',
      turns: [
        { speaker: 'Ries', kind: 'speaking', text: 'Was that right, master?' },
        { speaker: 'Beethoven', kind: 'speaking', text: 'Again. Slower.' },
      ],
    },
  });
  const [rejected] = seedScenes(source.studio, characterId, [{ ...NEEFE_SCENE, location: 'REJECTED ROOM' }]);
  await call(source.studio, 'review/set', { characterId, ids: [rejected!], status: 'rejected' });
});
afterAll(async () => {
  await source?.studio.shutdown();
  source?.cleanup();
  tmp?.cleanup();
});

function lines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

async function exportTo(format: DatasetFormat, name: string, extra: Record<string, unknown> = {}) {
  const out = path.join(tmp.dir, name);
  const report = await call(source.studio, 'dataset/export', { characterIds: [characterId], format, out, ...extra });
  return { out, report };
}

/** The rendered example of METHOD.md §4, read from ../shared at run time. */
function methodExample(): string {
  const method = fs.readFileSync(path.resolve(repoRoot, '..', 'shared', 'METHOD.md'), 'utf8');
  const section = method.slice(method.indexOf('A rendered SFT example'));
  const match = /```text\n([\s\S]*?)\n```/.exec(section);
  if (!match) throw new Error('METHOD.md §4 has no rendered example');
  return match[1]!;
}

describe("the paper's format", () => {
  it("renders METHOD.md §4's example byte for byte", () => {
    const line = paperFormat.write({
      id: 'seed_dialogue_0',
      kind: 'normal',
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      location: NEEFE_SCENE.location,
      background: NEEFE_SCENE.background,
      protective: false,
      turns: NEEFE_SCENE.turns,
    });
    const parsed = JSON.parse(line) as { prompt: string; output: string; source: string };
    expect(Object.keys(parsed)).toEqual(['prompt', 'output', 'source']);
    expect(parsed.prompt.endsWith('The interactions are as follows:\n\n')).toBe(true);
    expect(parsed.prompt + parsed.output).toBe(methodExample());
  });

  it("is what the trainer's own formats.py renders, and what its load_dataset reads back", async () => {
    requireVenv();
    const { out, report } = await exportTo('paper', 'paper-python', { includeProblems: true });
    expect(report.train).toBe(5); // four seeded, one by hand; the rejected one never leaves
    const script = `
import json, sys
from pathlib import Path
from character_trainer.dataset import load_dataset
from character_trainer.formats import render_character_llm
data = load_dataset(Path(sys.argv[1]), "character-llm-sft")
for scene in data.scenes:
    prompt, output = render_character_llm(scene)
    print(json.dumps({"prompt": prompt, "output": output, "source": scene.id}))
    print(json.dumps({"full": scene.full_name, "short": scene.short_name, "location": scene.location,
                      "protective": scene.protective, "turns": [[t.speaker, t.kind, t.text] for t in scene.turns]}))
`;
    const printed = execFileSync(venvPython, ['-c', script, path.join(out, 'train.jsonl')], {
      env: { ...process.env, PYTHONPATH: trainerDir },
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    const ours = lines(path.join(out, 'train.jsonl'));
    // Python's json.dumps of the trainer's rendering is our line, byte for byte (non-ASCII escaped as it does).
    expect(printed.filter((_, i) => i % 2 === 0)).toEqual(ours);
    const scenes = printed
      .filter((_, i) => i % 2 === 1)
      .map(
        (l) =>
          JSON.parse(l) as { full: string; short: string; location: string; protective: boolean; turns: string[][] },
      );
    expect(scenes.every((s) => s.full === 'Ludwig van Beethoven' && s.short === 'Beethoven')).toBe(true);
    expect(scenes.map((s) => s.location)).toEqual([
      "Neefe's room in Bonn",
      'Vienna, Heiligenstadt, 1802',
      'A room',
      'Bonn, the court chapel',
      'Vienna',
    ]);
    expect(scenes[2]!.protective).toBe(true);
    // Merged turns stay merged, as the paper's format has them.
    expect(scenes[0]!.turns).toEqual([
      ['Beethoven', 'thinking', 'He will hear every wrong note.'],
      ['Beethoven', 'speaking', 'Good morning, Herr Neefe.\nI have brought the variations.'],
      ['Neefe', 'speaking', 'Then play them, Ludwig, and do not rush the second one.'],
    ]);
    // Neefe's thinking is left out by the training export's rule (and counted).
    expect(scenes[3]!.turns).toEqual([['Beethoven', 'speaking', 'May I play the fugue?']]);
    expect(report.otherThinkingLeftOut).toBe(1);
  });
});

describe('export', () => {
  it('leaves out scenes with problems unless asked, filters kinds, and splits by seed', async () => {
    const plain = await exportTo('openai', 'rules-plain');
    expect(plain.report.skippedForProblems).toBe(1);
    expect(plain.report.train).toBe(4);
    expect(plain.report.notices.join(' ')).toMatch(/1 scene with format problems was left out/);
    expect(plain.report.byKind).toEqual({ normal: 2, protective: 1, hand: 1, chat_correction: 0 });

    const onlyHand = await exportTo('openai', 'rules-hand', { kinds: ['hand'] });
    expect(onlyHand.report.train).toBe(1);
    expect(lines(path.join(onlyHand.out, 'train.jsonl'))[0]).toContain('Again. Slower.');

    const split = await exportTo('alpaca', 'rules-split', { trainShare: 0.5, seed: 7, includeProblems: true });
    const again = await exportTo('alpaca', 'rules-split-again', { trainShare: 0.5, seed: 7, includeProblems: true });
    expect(split.report.train + split.report.validation).toBe(5);
    expect(split.report.validation).toBeGreaterThan(0);
    expect(lines(path.join(split.out, 'validation.jsonl'))).toHaveLength(split.report.validation);
    for (const f of ['train.jsonl', 'validation.jsonl']) {
      expect(fs.readFileSync(path.join(again.out, f), 'utf8')).toBe(fs.readFileSync(path.join(split.out, f), 'utf8'));
    }
  });

  it('keeps an example in each split when the hash alone would leave one empty', async () => {
    const whole = await exportTo('openai', 'rules-whole', { includeProblems: true });
    const all = lines(path.join(whole.out, 'train.jsonl')).sort();
    expect(all).toHaveLength(5);
    const { scenes } = await call(source.studio, 'scenes/list', { characterId, limit: 50 });
    const ids = scenes.map((s) => s.id);
    const seeds = Array.from({ length: 20_000 }, (_, k) => k);
    for (const [empty, holds] of [
      ['validation', (score: number) => score < 0.5],
      ['train', (score: number) => score >= 0.5],
    ] as const) {
      // A seed whose hash sends every scene to one side: without the move, `empty` had no line.
      const seed = seeds.find((k) => ids.every((id) => holds(splitScore(id, k))));
      expect(seed).toBeDefined();
      const { out, report } = await exportTo('openai', `rules-empty-${empty}`, {
        trainShare: 0.5,
        seed,
        includeProblems: true,
      });
      expect(report[empty]).toBe(1);
      expect(report.train + report.validation).toBe(5);
      const train = lines(path.join(out, 'train.jsonl'));
      const validation = lines(path.join(out, 'validation.jsonl'));
      expect([train.length, validation.length]).toEqual([report.train, report.validation]);
      expect([...train, ...validation].sort()).toEqual(all);
      expect(report.files.find((f) => f.role === empty)!.items).toBe(1);
      expect(report.notices.join(' ')).toContain(`No scene's hash fell in the ${empty} split`);
    }
  });

  it('writes axolotl and LLaMA-Factory configs pointing at the files, and a dataset card for hf', async () => {
    const { out, report } = await exportTo('hf', 'hf-folder', {
      trainShare: 0.5,
      seed: 3,
      licence: 'cc-by-4.0',
      includeProblems: true,
    });
    expect(report.files.map((f) => path.relative(out, f.path)).sort()).toEqual(
      ['README.md', 'axolotl.yaml', 'data/train.jsonl', 'data/validation.jsonl', 'dataset_info.json'].sort(),
    );
    expect(report.train).toBeGreaterThan(0);
    expect(report.validation).toBeGreaterThan(0);
    // The card's header and the axolotl config as the Hub's own library and PyYAML read them.
    requireVenv();
    const script = `
import json, sys, yaml
from huggingface_hub import DatasetCard
card = DatasetCard.load(sys.argv[1] + "/README.md").data.to_dict()
axolotl = yaml.safe_load(open(sys.argv[1] + "/axolotl.yaml"))
print(json.dumps({"card": card, "axolotl": axolotl}))
`;
    const read = JSON.parse(
      execFileSync(venvPython, ['-c', script, out], { env: { ...process.env, HF_HUB_OFFLINE: '1' }, encoding: 'utf8' }),
    ) as {
      card: {
        license: string;
        configs: { data_files: { split: string; path: string }[] }[];
        dataset_info: { splits: { name: string; num_examples: number }[] };
      };
      axolotl: {
        datasets: { path: string; type: string }[];
        test_datasets: { path: string }[];
        train_on_inputs: boolean;
      };
    };
    expect(read.card.license).toBe('cc-by-4.0');
    expect(read.card.configs[0]!.data_files).toEqual([
      { split: 'train', path: 'data/train.jsonl' },
      { split: 'validation', path: 'data/validation.jsonl' },
    ]);
    expect(read.card.dataset_info.splits.map((s) => [s.name, s.num_examples])).toEqual([
      ['train', report.train],
      ['validation', report.validation],
    ]);
    expect(read.axolotl.datasets).toMatchObject([{ path: 'data/train.jsonl', type: 'chat_template' }]);
    expect(read.axolotl.test_datasets).toMatchObject([{ path: 'data/validation.jsonl' }]);
    expect(read.axolotl.train_on_inputs).toBe(false);
    const info = JSON.parse(fs.readFileSync(path.join(out, 'dataset_info.json'), 'utf8')) as Record<
      string,
      { file_name: string }
    >;
    expect(Object.values(info).map((e) => e.file_name)).toEqual(['data/train.jsonl', 'data/validation.jsonl']);
    for (const e of Object.values(info)) expect(fs.existsSync(path.join(out, e.file_name))).toBe(true);
  });

  it('refuses a folder holding other files, and replaces an earlier export', async () => {
    const foreign = path.join(tmp.dir, 'someone-else');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'thesis.tex'), 'precious');
    const refused = await callError(source.studio, 'dataset/export', {
      characterIds: [characterId],
      format: 'paper',
      out: foreign,
    });
    expect(refused.message).toMatch(/already holds other files \(thesis\.tex\)/);
    expect(fs.readdirSync(foreign)).toEqual(['thesis.tex']);
    const first = await exportTo('sharegpt', 'replaced', { trainShare: 0.5 });
    expect(fs.existsSync(path.join(first.out, 'validation.jsonl'))).toBe(true);
    // A training run's outputs written inside the export folder survive the next export.
    fs.mkdirSync(path.join(first.out, 'outputs'));
    fs.writeFileSync(path.join(first.out, 'outputs', 'adapter.safetensors'), 'weights');
    const second = await exportTo('sharegpt', 'replaced');
    expect(fs.existsSync(path.join(second.out, 'validation.jsonl'))).toBe(false);
    expect(fs.readFileSync(path.join(second.out, 'outputs', 'adapter.safetensors'), 'utf8')).toBe('weights');
    expect(lines(path.join(second.out, 'train.jsonl'))).toHaveLength(second.report.train);
    expect(fs.readdirSync(tmp.dir).some((f) => f.includes('.partial-'))).toBe(false);
  });
});

describe('round trip: export, import, export again', () => {
  for (const format of Object.keys(LINE_FORMATS).concat('hf') as DatasetFormat[]) {
    it(`gives the same items through ${format}`, async () => {
      const first = await exportTo(format, `trip-${format}`, { includeProblems: true });
      const target = makeStudio();
      try {
        const into = await createBeethoven(target.studio);
        const imported = await call(target.studio, 'dataset/import', {
          characterId: into,
          path: first.out.concat(format === 'hf' ? '' : '/train.jsonl'),
        });
        expect(imported).toMatchObject({ format, scenes: 5, experiences: 5, protective: 1 });
        // The same file again, or the export back into the dataset it came from: refused, nothing doubled.
        const again = { path: first.out.concat(format === 'hf' ? '' : '/train.jsonl') };
        const twice = await callError(target.studio, 'dataset/import', { characterId: into, ...again });
        expect(twice).toMatchObject({
          code: 'conflict',
          message: expect.stringMatching(/^5 scenes of .* are in Beethoven's dataset already .*Nothing was imported/),
        });
        expect((await call(target.studio, 'dataset/stats', { characterId: into })).scenes).toBe(5);
        const home = await callError(source.studio, 'dataset/import', { characterId, ...again });
        expect(home.message).toMatch(/are in Beethoven's dataset already/);
        const out = path.join(tmp.dir, `trip-${format}-again`);
        await call(target.studio, 'dataset/export', { characterIds: [into], format, out, includeProblems: true });
        const file = format === 'hf' ? 'data/train.jsonl' : 'train.jsonl';
        const strip = (line: string) => {
          const item = JSON.parse(line) as Record<string, unknown>;
          delete item.source;
          delete item.id;
          const meta = item.character_studio as Record<string, unknown> | undefined;
          if (meta) {
            delete meta.id;
            if (meta.kind === 'hand') meta.kind = 'normal'; // imported scenes are of kind normal
          }
          return item;
        };
        expect(lines(path.join(out, file)).map(strip)).toEqual(lines(path.join(first.out, file)).map(strip));

        // Each imported scene keeps its file and line, on its first revision (authored `import`).
        const scenes = await call(target.studio, 'scenes/list', { characterId: into, limit: 10 });
        const revisions = await call(target.studio, 'scenes/revisions', { id: scenes.scenes[1]!.id });
        expect(revisions).toHaveLength(1);
        expect(revisions[0]).toMatchObject({
          author: 'import',
          importedFrom: {
            file: format === 'hf' ? `${first.out}/data/train.jsonl` : `${first.out}/train.jsonl`,
            line: 2,
            format,
          },
        });
      } finally {
        await target.studio.shutdown();
        target.cleanup();
      }
    });
  }
});
