import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sweepPreviewFolders } from '../../../main/core/training/preview-servers';
import { tempDir } from '../../support/paths';
import { deadPid } from '../../support/pids';

describe('sweepPreviewFolders', () => {
  const tmp = tempDir('cs-sweep-');
  const children: ReturnType<typeof spawn>[] = [];
  afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));
  afterAll(() => tmp.cleanup());

  it('removes the preview folders of dead studios, job files and all, and nothing else', () => {
    const dead = deadPid();
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    children.push(live);
    const make = (name: string, file = 'job.json'): string => {
      const folder = path.join(tmp.dir, name);
      fs.mkdirSync(path.join(folder, '3'), { recursive: true });
      fs.writeFileSync(path.join(folder, '3', file), '{"scene": "private text"}');
      return folder;
    };
    make(`cs-preview-${dead}-AbC123`);
    make(`cs-preview-${live.pid}-XyZ789`);
    make(`cs-preview-${process.pid}-Mine01`);
    make(`cs-preview-notapid-Q`);
    make(`other-${dead}-AbC123`);
    fs.writeFileSync(path.join(tmp.dir, `cs-preview-${dead}`), 'a file without the random part');

    expect(sweepPreviewFolders(tmp.dir)).toEqual([`cs-preview-${dead}-AbC123`]);
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(
      [
        `cs-preview-${dead}`,
        `cs-preview-${live.pid}-XyZ789`,
        `cs-preview-${process.pid}-Mine01`,
        'cs-preview-notapid-Q',
        `other-${dead}-AbC123`,
      ].sort(),
    );
    // Nothing left to do the second time.
    expect(sweepPreviewFolders(tmp.dir)).toEqual([]);
  });

  it('answers nothing removed for a folder it cannot read', () => {
    expect(sweepPreviewFolders(path.join(tmp.dir, 'missing'))).toEqual([]);
  });
});
