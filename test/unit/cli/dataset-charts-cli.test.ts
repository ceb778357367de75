import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetCharts, DatasetStats, SceneDoc } from '../../../common/contract';
import { runCliIn } from '../../support/cli';
import { tempDir } from '../../support/paths';

// `character-studio dataset stats` prints the Statistics view's charts as text (and the figures with
// --json); `dataset compare` prints the paper's per-character table for every character.

let tmp: ReturnType<typeof tempDir>;
const cli = (args: string[], stdin = '') => runCliIn(tmp.dir, args, stdin);

function scene(i: number): SceneDoc {
  return {
    type: 'Lesson',
    location: 'Bonn',
    time: '1783',
    background: `Lesson ${i}.`,
    people: ['Neefe'],
    experienceBackground: 'A cold room.',
    turns: [
      { speaker: 'Beethoven', kind: 'speaking', text: 'Again, '.repeat(i + 1).trim() },
      { speaker: 'Neefe', kind: 'speaking', text: 'As you wish.' },
      ...(i % 2 ? [{ speaker: 'Beethoven', kind: 'thinking' as const, text: 'He drags the tempo.' }] : []),
    ],
  };
}

beforeAll(async () => {
  tmp = tempDir('cs-cli-charts-');
  await cli(['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven']);
  await cli(['characters', 'create', '--full-name', 'Clara Schumann', '--short-name', 'Clara']);
  await cli(['profiles', 'import', 'Beethoven', '-'], 'Born in Bonn.\n\nTaught by Neefe.\n\nMoved to Vienna.');
  for (let i = 0; i < 4; i++) {
    const made = await cli(['scenes', 'create', 'Beethoven', '-'], JSON.stringify(scene(i)));
    expect(made.code, made.err).toBe(0);
  }
});
afterAll(() => tmp?.cleanup());

describe('character-studio dataset stats|compare', () => {
  it('prints the histograms, speakers and kinds as text, and the figures with --json', async () => {
    const text = await cli(['dataset', 'stats', 'Beethoven']);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain('Ludwig van Beethoven: 4 scenes (0 protective), 4 experiences, 10 turns');
    expect(text.out).toContain(
      'Coverage of the life: scenes per profile chunk (3 chunks, 3 without any scene; 4 scenes without a chunk)',
    );
    expect(text.out).toMatch(
      /Turns per scene \(4 experiences, mean 2\.5, median 2, max 3\)\n\s+2\s+█+\s+2\n\s+3\s+█+\s+2/,
    );
    expect(text.out).toMatch(/Words per turn \(10 turns, mean 3\.0\)/);
    expect(text.out).toMatch(/Beethoven \(character\)\s+█+\s+6/);
    expect(text.out).toMatch(/thinking\s+20\.0% of turns/);

    const json = await cli(['dataset', 'stats', 'Beethoven', '--json']);
    const parsed = JSON.parse(json.out) as DatasetStats & { charts: DatasetCharts };
    expect(parsed.scenes).toBe(4);
    expect(parsed.charts.turnsPerScene.bins).toEqual([
      { from: 2, to: 3, count: 2 },
      { from: 3, to: 4, count: 2 },
    ]);
    expect(parsed.charts.kinds.thinking.turns).toBe(2);
  });

  it('compares every character with the paper', async () => {
    const table = await cli(['dataset', 'compare']);
    expect(table.code, table.err).toBe(0);
    const lines = table.out.split('\n');
    expect(lines[0]).toMatch(
      /^Character\s+Chunks\s+Profile words\s+Scenes\s+Protective\s+Experiences\s+Words\s+Turns\/scene/,
    );
    expect(lines[1]).toMatch(/^Clara Schumann\s+0\s+0\s+0\s+0\s+0\s+0\s+0\.0\s+0$/);
    expect(lines[2]).toMatch(/^Ludwig van Beethoven\s+3\s+9\s+4\s+0 \(0\.0%\)\s+4\s+30\s+2\.5\s+8$/);
    expect(lines[3]).toMatch(
      /^The paper \(per character\)\s+13–115\s+1\.5K–13\.7K\s+1\.4K–2\.2K\s+1–5%\s+599K–1,038K\s+13\.2$/,
    );
    const json = JSON.parse((await cli(['dataset', 'compare', '--json'])).out) as { characters: unknown[] };
    expect(json.characters).toHaveLength(2);
  });
});
