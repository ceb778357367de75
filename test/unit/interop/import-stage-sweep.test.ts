import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sweepOrphanStages } from '../../../main/store/import-stage-files';
import { makeStudio } from '../../support/studio';

/**
 * An import's scratch file lives in the temporary folder while it runs; a studio killed mid-import
 * left it there for good (42 of them piled up in a day of this project's tests). Each studio that
 * opens removes those whose process is gone.
 */
let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The id of a process that has ended (a child run to its end). */
function endedPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  expect(child.status).toBe(0);
  return child.pid;
}

describe('the sweep of import stages left by a stopped studio', () => {
  it('removes the stages of ended processes and keeps those of live ones and every other file', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-stage-sweep-'));
    const dead = endedPid();
    const files = {
      orphan: `character-studio-import_stage_${dead}_3-1796123433262.sqlite`,
      live: `character-studio-import_stage_${process.pid}_1-1796123433262.sqlite`,
      parent: `character-studio-import_stage_${process.ppid}_2-1796123433262.sqlite`,
      unrelated: 'character-studio-notes.sqlite',
      lookalike: `character-studio-import_stage_${dead}_3.sqlite.bak`,
    };
    for (const name of Object.values(files)) fs.writeFileSync(path.join(dir, name), 'stage');

    const removed = await sweepOrphanStages(dir);

    expect(removed).toEqual([path.join(dir, files.orphan)]);
    expect(fs.readdirSync(dir).sort()).toEqual([files.live, files.parent, files.unrelated, files.lookalike].sort());
  });

  it('runs when a studio opens', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-stage-sweep-'));
    const orphan = path.join(os.tmpdir(), `character-studio-import_stage_${endedPid()}_1-${Date.now()}.sqlite`);
    fs.writeFileSync(orphan, 'stage');
    const env = makeStudio(dir);
    try {
      await vi.waitFor(() => expect(fs.existsSync(orphan)).toBe(false), { timeout: 10_000 });
    } finally {
      env.studio.close();
      fs.rmSync(orphan, { force: true });
    }
  });

  it('finds nothing to do in a folder it cannot read', async () => {
    dir = path.join(os.tmpdir(), `cs-stage-sweep-missing-${process.pid}`);
    expect(await sweepOrphanStages(dir)).toEqual([]);
  });
});
