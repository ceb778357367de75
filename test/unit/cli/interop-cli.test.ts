import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId } from '../../../common/contract';
import { Studio } from '../../../main/core/studio';
import { runCliIn } from '../../support/cli';
import { seedScenes, variedScenes } from '../../support/interop';
import { tempDir } from '../../support/paths';

// `character-studio export` and `import-dataset`: one shot each with --json, and bad usage.

let tmp: ReturnType<typeof tempDir>;
let out: ReturnType<typeof tempDir>;
const cli = (...args: string[]) => runCliIn(tmp.dir, args);

beforeAll(async () => {
  tmp = tempDir('cs-cli-interop-');
  out = tempDir('cs-cli-interop-out-');
  await cli('characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven');
  await cli('characters', 'create', '--full-name', 'Wolfgang Amadeus Mozart', '--short-name', 'Mozart');
  const studio = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test' });
  try {
    const id = studio.db
      .prepare("SELECT id FROM characters WHERE short_name = 'Beethoven'")
      .pluck()
      .get() as CharacterId;
    seedScenes(studio, id, variedScenes());
  } finally {
    studio.close();
  }
});
afterAll(() => {
  tmp?.cleanup();
  out?.cleanup();
});

describe('character-studio export and import-dataset', () => {
  it('exports with a split and kinds, then imports the file into another character', async () => {
    const folder = path.join(out.dir, 'sharegpt');
    const exported = await cli(
      'export',
      'Beethoven',
      '--format',
      'sharegpt',
      '--out',
      folder,
      '--split',
      '0.5',
      '--seed',
      '3',
      '--kinds',
      'normal,protective',
      '--json',
    );
    expect(exported.code, exported.err).toBe(0);
    const report = JSON.parse(exported.out) as {
      train: number;
      validation: number;
      skippedForProblems: number;
      files: { path: string }[];
    };
    expect(report.train + report.validation).toBe(3);
    expect(report.skippedForProblems).toBe(1);
    expect(report.files.map((f) => path.basename(f.path))).toEqual([
      'train.jsonl',
      'validation.jsonl',
      'axolotl.yaml',
      'dataset_info.json',
    ]);

    const human = await cli('import-dataset', 'Mozart', path.join(folder, 'train.jsonl'));
    expect(human.code, human.err).toBe(0);
    expect(human.out).toMatch(
      new RegExp(`^Imported ${report.train} scenes? into Wolfgang Amadeus Mozart from .*train\\.jsonl \\(sharegpt\\)`),
    );
    expect(human.out).toContain('The file is about Ludwig van Beethoven');
    // Counts of one read in the singular.
    if (report.train === 1) expect(human.out).toMatch(/^Imported 1 scene into .*: 1 with its experience/);
    const stats = await cli('dataset', 'stats', 'Mozart', '--json');
    expect((JSON.parse(stats.out) as { scenes: number }).scenes).toBe(report.train);
  });

  it('says what is wrong with bad usage and bad files', async () => {
    expect((await cli('export', 'Beethoven', '--out', out.dir)).err).toMatch(
      /export needs --format paper\|sharegpt\|openai\|alpaca\|hf/,
    );
    expect((await cli('export', 'Beethoven', '--format', 'paper')).err).toMatch(/export needs --out <folder>/);
    expect((await cli('export', 'Beethoven', '--format', 'paper', '--out', out.dir, '--kinds', 'weird')).code).toBe(2);
    const bad = path.join(out.dir, 'bad.jsonl');
    fs.writeFileSync(bad, 'not json\n');
    const refused = await cli('import-dataset', 'Beethoven', bad);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/bad\.jsonl, line 1: the line is not JSON/);
  });
});
