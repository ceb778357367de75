import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../../main/core/studio';
import { openDatabase } from '../../../main/store/database';
import { migrations } from '../../../main/store/migrations';
import { runCliIn } from '../../support/cli';
import { damageDeepPage, populateCharacters } from '../../support/damaged-database';
import { tempDir } from '../../support/paths';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('cs-db-cli-');
});
afterEach(() => tmp.cleanup());

const cli = (args: string[]) => runCliIn(tmp.dir, args);

describe('character-studio db check', () => {
  it('reports an intact database, and finds damage deep in a file that still opens', async () => {
    const file = path.join(tmp.dir, DATABASE_FILE);
    openDatabase(file).close();
    populateCharacters(file);
    const whole = await cli(['db', 'check', '--json']);
    expect(whole.code).toBe(0);
    const report = JSON.parse(whole.out) as { ok: boolean; problems: string[]; sizeBytes: number };
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect((await cli(['db', 'check'])).out).toMatch(
      /^✓ No problems found in .*studio\.sqlite \(\d+\.\d MiB, checked in/,
    );

    // Damage deep in the file after a clean close: the next command still opens the database.
    const bytes = damageDeepPage(file);

    const damaged = await cli(['db', 'check']);
    expect(damaged.code).toBe(1);
    expect(damaged.out).toMatch(/^✗ .*studio\.sqlite is damaged .* SQLite reports:\n {2}\S/);
    expect(damaged.out).toMatch(/restore the file from a backup, or move it aside/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('says what the db group offers when the sub-command is unknown', async () => {
    const wrong = await cli(['db', 'vacuum']);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/Unknown command "db vacuum"/);
  });

  it('says on stderr why opening waits while a database of an older studio is brought up to date', async () => {
    const file = path.join(tmp.dir, DATABASE_FILE);
    const older = migrations.length - 1;
    openDatabase(file, { migrations: migrations.slice(0, older) }).close();
    const first = await cli(['db', 'check']);
    expect(first.code).toBe(0);
    expect(first.err).toMatch(
      new RegExp(
        `^Updating the studio database \\(schema ${older} → ${migrations.length}\\);.*\\nDatabase updated in \\d+\\.\\d s\\.\\n`,
      ),
    );
    expect((await cli(['db', 'check'])).err).not.toMatch(/Updating|updated/);
  });

  it('says on stderr why opening waits while every page is read after an unclean shutdown', async () => {
    const file = path.join(tmp.dir, DATABASE_FILE);
    openDatabase(file).close();
    populateCharacters(file);
    // What a studio killed while it held the database leaves: its session marker, its process gone.
    const child = spawnSync(process.execPath, ['-e', '0']);
    fs.writeFileSync(
      `${file}-open-${child.pid}-0badc0de`,
      JSON.stringify({ pid: child.pid, host: os.hostname(), writtenAt: Date.now() }),
    );
    const first = await cli(['characters', 'list']);
    expect(first.code).toBe(0);
    expect(first.err).toMatch(
      /^The studio was not shut down cleanly last time: checking every page of the database \(\d+ MB\) before it opens;.*\nDatabase checked in \d+\.\d s\.$/,
    );
    // Checked whole, the marker is gone: the next open says nothing.
    expect((await cli(['characters', 'list'])).err).toBe('');
  });
});
