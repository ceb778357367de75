import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StudioFailure } from '../../../main/core/errors';
import { openDatabase, pendingCrashCheck } from '../../../main/store/database';
import { checkIntegrity } from '../../../main/store/integrity';
import { staleSessions } from '../../../main/store/open-sessions';
import { damageDeepPage, populateCharacters } from '../../support/damaged-database';
import { repoRoot, tempDir } from '../../support/paths';

// Opening costs the same for any size; the full page check runs after an unclean shutdown (a
// process killed while it held the database) or on demand. Crashes here are real: a separate
// Node process opens the database with the studio's own code and is killed with SIGKILL.

let tmp: { dir: string; cleanup: () => void };
let file: string;
beforeEach(() => {
  tmp = tempDir('cs-dbopen-');
  file = path.join(tmp.dir, 'studio.sqlite');
});
afterEach(() => tmp.cleanup());

/** The studio's `openDatabase` bundled into a script a child process runs: it opens, says so, and waits. */
let holder: { dir: string; cleanup: () => void };
let holderScript: string;
beforeAll(() => {
  holder = tempDir('cs-dbopen-holder-');
  holderScript = path.join(holder.dir, 'hold.cjs');
  buildSync({
    stdin: {
      contents: `import { openDatabase } from './main/store/database';
        openDatabase(process.argv[2]);
        process.stdout.write('open\\n');
        setInterval(() => {}, 60_000);`,
      resolveDir: repoRoot,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['better-sqlite3'],
    loader: { '.sql': 'text' },
    outfile: holderScript,
    logLevel: 'error',
  });
});
afterAll(() => holder.cleanup());

/** Starts a process that holds `db` open; resolves once it has opened it. */
async function holdOpen(db: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [holderScript, db], {
    env: { ...process.env, NODE_PATH: path.join(repoRoot, 'node_modules') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  expect(chunk.toString()).toBe('open\n');
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

const markers = () => fs.readdirSync(tmp.dir).filter((name) => name.includes('-open-'));

describe('opening the database', () => {
  it('leaves no session marker after a clean close, and one per process while open', () => {
    const first = openDatabase(file);
    const second = openDatabase(file);
    expect(markers()).toHaveLength(2);
    first.close();
    expect(markers()).toHaveLength(1);
    second.close();
    expect(markers()).toEqual([]);
  });

  it('after a clean close, opens without reading every page; the on-demand check finds the damage', async () => {
    openDatabase(file).close();
    populateCharacters(file);
    const bytes = damageDeepPage(file);
    // The fast path: structure, schema and roots are whole, so the open goes ahead.
    const db = openDatabase(file);
    expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBeGreaterThan(0);
    const report = await checkIntegrity(file);
    db.close();
    expect(report.ok).toBe(false);
    expect(report.problems.length).toBeGreaterThan(0);
    expect(report.sizeBytes).toBe(bytes.length);
    // Asked for explicitly, the full check at open refuses it too, touching nothing.
    expect(() => openDatabase(file, { fullCheck: true })).toThrow(expect.objectContaining({ code: 'database' }));
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('reports an intact database as whole', async () => {
    openDatabase(file).close();
    populateCharacters(file);
    const report = await checkIntegrity(file);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('after a process holding it was killed, the next open runs the full check and refuses a damaged file', async () => {
    openDatabase(file).close();
    populateCharacters(file);
    const child = await holdOpen(file);
    await kill(child);
    expect(staleSessions(file)).toHaveLength(1);
    // The same deep damage the fast path lets through (the test above), left by the crash.
    const bytes = damageDeepPage(file);

    expect(() => openDatabase(file)).toThrow(
      expect.objectContaining({
        code: 'database',
        message: expect.stringMatching(/cannot be read .*unclean shutdown.*left untouched/s),
      }),
    );
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    // Still refused next time: the crashed session's marker stays until a check passes.
    expect(staleSessions(file)).toHaveLength(1);
    expect(() => openDatabase(file)).toThrow(StudioFailure);
  });

  it('after a crash, an intact database opens and the stale marker is cleared', async () => {
    openDatabase(file).close();
    populateCharacters(file);
    await kill(await holdOpen(file));
    expect(staleSessions(file)).toHaveLength(1);
    // What the desktop door asks before it opens, to show why opening waits.
    expect(pendingCrashCheck(file)).toEqual({ bytes: fs.statSync(file).size });
    const told: { bytes: number; afterCrash: boolean }[] = [];
    openDatabase(file, { onFullCheck: (check) => told.push(check) }).close();
    expect(told).toEqual([{ bytes: expect.any(Number) as number, afterCrash: true }]);
    expect(staleSessions(file)).toEqual([]);
    expect(markers()).toEqual([]);
    expect(pendingCrashCheck(file)).toBeNull();
    openDatabase(file, { onFullCheck: (check) => told.push(check) }).close();
    expect(told).toHaveLength(1);
  });

  it('does not take a live process for a crashed one: its marker is kept while it runs', async () => {
    const child = await holdOpen(file);
    try {
      expect(staleSessions(file)).toEqual([]);
      openDatabase(file).close();
      expect(markers()).toHaveLength(1); // the other process's, untouched
    } finally {
      await kill(child);
    }
    expect(staleSessions(file)).toHaveLength(1);
  });
});
