import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DatasetExportError,
  exportNotices,
  exportTrainerDataset,
  sceneToTrainerLine,
  serializeTrainerDataset,
  writeTrainerDataset,
} from '../../../main/core/trainer/dataset-export';
import { tempDir } from '../../support/paths';
import { beethoven, runPython, studioScene, studioScenes } from './fixtures';

const tmp = tempDir('cs-trainer-export-');
afterAll(() => tmp.cleanup());

/** The trainer's own reader: every line through dataset.load_dataset, echoed back in canonical form. */
const LOAD = `
import json, sys
from pathlib import Path
from character_trainer.dataset import load_dataset, scene_to_json
from character_trainer.protocol import TrainerError
try:
    d = load_dataset(Path(sys.argv[1]))
    print(json.dumps({"ok": True, "scenes": [scene_to_json(s) for s in d.scenes], "sha256": d.sha256}))
except TrainerError as e:
    print(json.dumps({"ok": False, "code": e.code, "message": e.message}))
`;

interface Loaded {
  ok: boolean;
  scenes?: unknown[];
  code?: string;
  message?: string;
}

function loadWithPython(path: string): Loaded {
  return JSON.parse(runPython(LOAD, [path])) as Loaded;
}

describe('scene to dataset line', () => {
  it('writes the line shape of dataset.py, with loc_time, the completion background and the short name', () => {
    const line = sceneToTrainerLine(studioScene(1), beethoven);
    expect(line).toEqual({
      id: 'scene-1',
      character: { full_name: 'Ludwig van Beethoven', short_name: 'Beethoven' },
      location: 'Bonn court chapel 1, 1782',
      background: 'Beethoven rehearses, take 1.',
      turns: [
        { speaker: 'Beethoven', kind: 'thinking', text: 'Then play them and do not rush the second one.' },
        { speaker: 'Beethoven', kind: 'speaking', text: 'He will hear every wrong note.' },
        { speaker: 'Neefe', kind: 'speaking', text: 'Music is the one true revelation.' },
        // "beethoven" named the character in another case: the trainer matches short_name exactly.
        { speaker: 'Beethoven', kind: 'speaking', text: 'Tell me about your symphony.' },
      ],
      protective: false,
    });
  });

  it("gives protective scenes the paper's room and status", () => {
    const scene = studioScene(2, {
      protective: true,
      location: 'somewhere',
      time: 'now',
      background: 'pressed about cars',
    });
    expect(sceneToTrainerLine(scene, beethoven)).toMatchObject({
      location: 'A room',
      background: 'Beethoven is chatting with a person.',
      protective: true,
    });
  });

  it('keeps the time out of loc_time when the location already names it, and falls back to the scene background', () => {
    const scene = studioScene(3, { location: 'Vienna, 1824', time: '1824' });
    scene.experience!.background = '  ';
    expect(sceneToTrainerLine(scene, beethoven)).toMatchObject({
      location: 'Vienna, 1824',
      background: 'Scene 3 as extracted.',
    });
  });

  it('leaves out scenes the trainer would reject, saying why', () => {
    const noExperience = studioScene(4, { experience: null });
    const cut = studioScene(5, {}, [{ speaker: 'Beethoven', kind: 'speaking', text: 'And then<|NONSTOP|>' }]);
    const silent = studioScene(6, {}, [{ speaker: 'Neefe', kind: 'speaking', text: 'Hello?' }]);
    const empty = studioScene(7, {}, [{ speaker: 'Beethoven', kind: 'speaking', text: '   ' }]);
    const result = exportTrainerDataset([studioScene(1), noExperience, cut, silent, empty, studioScene(1)], beethoven);
    expect(result.lines.map((l) => l.id)).toEqual(['scene-1']);
    expect(result.skipped).toEqual([
      { sceneId: 'scene-4', reason: expect.stringContaining('no experience') },
      { sceneId: 'scene-5', reason: expect.stringContaining('cut off') },
      { sceneId: 'scene-6', reason: expect.stringContaining('never speaks') },
      { sceneId: 'scene-7', reason: expect.stringContaining('no turns') },
      { sceneId: 'scene-1', reason: expect.stringContaining('twice') },
    ]);
  });

  it("leaves other speakers' thinking out of the file by its stated rule, counts it and says so", async () => {
    const turns = [
      { speaker: 'Neefe', kind: 'thinking' as const, text: 'He will never be ready.' },
      { speaker: 'Ludwig van Beethoven', kind: 'thinking' as const, text: 'He doubts me.' },
      { speaker: 'Beethoven', kind: 'speaking' as const, text: 'I am ready.' },
      { speaker: 'Neefe', kind: 'speaking' as const, text: 'Then play.' },
      { speaker: 'Neefe', kind: 'thinking' as const, text: 'Perhaps he is.' },
    ];
    const result = exportTrainerDataset([studioScene(1, {}, turns), studioScene(2)], beethoven);
    expect(result.lines[0]?.turns.map((t) => [t.speaker, t.kind])).toEqual([
      ['Beethoven', 'thinking'],
      ['Beethoven', 'speaking'],
      ['Neefe', 'speaking'],
    ]);
    expect(result.lines[1]?.turns).toHaveLength(4);
    expect(result.notes).toEqual({ otherThinkingLeftOut: 2, scenesWithOtherThinking: 1 });
    expect(exportNotices(result.notes)).toEqual([
      expect.stringMatching(
        /^2 thinking turns by other speakers \(in 1 scene\) will be left out.*only the character may think/,
      ),
    ]);
    expect(exportNotices(exportTrainerDataset([studioScene(2)], beethoven).notes)).toEqual([]);
    // A dataset of the paper's size reads as the Dataset tab's totals do, with thousands separated.
    expect(exportNotices({ otherThinkingLeftOut: 1_600, scenesWithOtherThinking: 1_250 })[0]).toMatch(
      /^1,600 thinking turns by other speakers \(in 1,250 scenes\)/,
    );
    const written = await writeTrainerDataset(join(tmp.dir, 'notes.jsonl'), [studioScene(1, {}, turns)], beethoven);
    expect(written.notes.otherThinkingLeftOut).toBe(2);
    expect(readFileSync(written.path, 'utf8')).not.toContain('He will never be ready');
  });

  it('refuses a character without names and an export with nothing usable', async () => {
    expect(() => sceneToTrainerLine(studioScene(1), { fullName: ' ', shortName: 'B' })).toThrow(DatasetExportError);
    await expect(
      writeTrainerDataset(join(tmp.dir, 'none.jsonl'), [studioScene(1, { experience: null })], beethoven),
    ).rejects.toThrow(/None of the 1 scene\(s\) can be used for training \(scene-1: the scene has no experience yet/);
  });
});

describe('the trainer reads what the exporter writes', { timeout: 120_000 }, () => {
  it('loads every exported line unchanged, and the file hash is the sha256 of its bytes', async () => {
    const scenes = [...studioScenes(4), studioScene(9, { protective: true }), studioScene(10, { experience: null })];
    const path = join(tmp.dir, 'scenes.jsonl');
    const written = await writeTrainerDataset(path, scenes, beethoven);
    expect(written).toMatchObject({ path, scenes: 5, skipped: [{ sceneId: 'scene-10' }] });
    const bytes = readFileSync(path);
    expect(written.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(bytes.equals(serializeTrainerDataset(exportTrainerDataset(scenes, beethoven).lines))).toBe(true);

    const loaded = loadWithPython(path);
    expect(loaded.ok).toBe(true);
    expect(loaded.scenes).toEqual(exportTrainerDataset(scenes, beethoven).lines);
  });

  it('is as strict as dataset.py: a line the exporter would skip is one the trainer rejects', () => {
    // Bypass the exporter to show the Python side refuses what the TS side leaves out.
    const { lines } = exportTrainerDataset([studioScene(1)], beethoven);
    const bad = [
      { ...lines[0]!, id: 'a', turns: [{ speaker: 'Beethoven', kind: 'speaking', text: 'x<|NONSTOP|>' }] },
      { ...lines[0]!, id: 'b', turns: [] },
      { ...lines[0]!, id: 'c', turns: [{ speaker: 'Beethoven', kind: 'shouting', text: 'x' }] },
    ];
    const path = join(tmp.dir, 'bad.jsonl');
    writeFileSync(path, bad.map((l) => JSON.stringify(l) + '\n').join(''));
    const loaded = loadWithPython(path);
    expect(loaded).toMatchObject({ ok: false, code: 'invalid_dataset' });
    expect(loaded.message).toMatch(/line 1: .*NONSTOP/);
    expect(loaded.message).toMatch(/line 2: turns must be a non-empty list/);
    expect(loaded.message).toMatch(/line 3: turns\[0\]\.kind must be one of/);
  });
});
