import { afterEach, describe, expect, it } from 'vitest';
import { COPY_STEP_SCENES } from '../../../main/store/import-stage';
import { closeImportEnv, importEnv, importer, type ImportEnv } from '../../support/import-stage';

// Issue 9, point 3: SQLite starts its write-ahead log again from the beginning only at a write that
// finds it checkpointed whole. An import commits every few ms while the checkpoint thread copies
// the log behind it, so it never found it whole: the log grew by every page the import wrote
// (~11 GB over 100,000 scenes), and each commit appended to a file the disk was still writing out.
// The copy now waits, the event loop free, for the log to be drained once it passes its room.

const line = (n: number) =>
  JSON.stringify({
    messages: [
      { role: 'system', content: `A room in Bonn, evening ${n}: the sonata in ${n % 7} flats, opus ${n}.` },
      { role: 'user', content: `Neefe: Play the fugue ${n} again, and the rondo after it.` },
      { role: 'assistant', content: `As you wish; the minuet ${n + 1} first, then the scherzo.` },
    ],
  });

const SCENES = COPY_STEP_SCENES * 40;
/** The log's room in the test: a few slices' commits. */
const ROOM = 60;

const lines = Array.from({ length: SCENES }, (_, n) => line(n));
const envs: ImportEnv[] = [];
afterEach(async () => {
  for (const env of envs.splice(0)) await closeImportEnv(env);
});

/**
 * Imports the file into a fresh studio (every slice one step: the most commits) and returns the
 * log's length after each slice.
 */
async function logAcrossImport(keepShort: boolean): Promise<number[]> {
  const env = await importEnv('cs-import-log-', lines);
  envs.push(env);
  const { checkpointer } = env.studio;
  const seen: number[] = [];
  const off = env.studio.events.subscribe((name, payload) => {
    if (name === 'dataset/io-progress' && (payload as { total: number | null }).total !== null)
      seen.push(checkpointer.logFrames());
  });
  try {
    const service = importer(env, undefined, keepShort ? { log: checkpointer, roomFrames: ROOM } : null);
    const report = await service.import({ characterId: env.characterId, path: env.file, requestId: 'log' });
    expect(report.scenes).toBe(SCENES);
  } finally {
    off();
  }
  // Everything arrived: a drained log loses nothing.
  expect(env.studio.db.prepare('SELECT count(*) FROM scenes').pluck().get()).toBe(SCENES);
  const fugue = env.studio.db.prepare("SELECT count(*) FROM scene_search WHERE scene_search MATCH 'fugue'");
  expect(fugue.pluck().get()).toBe(SCENES);
  return seen;
}

describe('the write-ahead log during an import', () => {
  it('stays within its room plus what one slice writes, where left to SQLite it grows with the whole copy', async () => {
    // Left to SQLite: the log only grows, by what each slice (its copy and the merges after it) writes.
    const grown = await logAcrossImport(false);
    expect(grown).toHaveLength(SCENES / COPY_STEP_SCENES);
    expect(grown.every((frames, i) => i === 0 || frames > grown[i - 1]!)).toBe(true);
    const slice = Math.max(...grown.map((frames, i) => (i === 0 ? 0 : frames - grown[i - 1]!)));
    expect(grown.at(-1)).toBeGreaterThan(10 * ROOM);

    const kept = await logAcrossImport(true);
    expect(kept).toHaveLength(SCENES / COPY_STEP_SCENES);
    // After the first slice (the log the studio's setup left, drained then), never more than the
    // room and the slice that went past it.
    expect(Math.max(...kept.slice(1))).toBeLessThanOrEqual(ROOM + slice);
    expect(kept.filter((frames, i) => i > 0 && frames < kept[i - 1]!).length).toBeGreaterThanOrEqual(10);
  });
});
