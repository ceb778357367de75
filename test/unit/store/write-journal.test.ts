import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JobId, SceneId } from '../../../common/contract';
import { DatasetImportRepo } from '../../../main/store/dataset-import-repo';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { WriteBatch } from '../../../main/store/write-batch';
import { beethovenWithProfile, studioForEachTest, type makeStudio } from '../../support/studio';

// Where a transaction's journals and the studio's scratch tables live: a job's group commit keeps
// its statement and savepoint journals in memory (writing them to a temp file again, page by page,
// was a quarter of the CPU of writing an item); an import's stage is a file of its own.

let env: ReturnType<typeof makeStudio>;
studioForEachTest((e) => (env = e));

const line = 'The light is fading over the Rhine, and the second movement still will not come right. ';

describe('journals and scratch data', () => {
  // SQLite names its temp files etilqs_*, deleted as soon as opened: an open one shows in /proc/self/fd.
  it.runIf(process.platform === 'linux')(
    'a job’s group commit keeps its journals in memory, where SQLite’s default writes them to a temp file',
    async () => {
      const { studio } = env;
      const db = studio.db;
      const characterId = await beethovenWithProfile(studio);
      const jobs = new JobsRepo(db);
      const dataset = new DatasetRepo(db);
      const jobId = 'job-1' as JobId;
      jobs.insertJob({ id: jobId, characterId, settings: {} }, Date.now());
      // One transaction for the whole batch, however slow the machine.
      const batch = new WriteBatch(db, { windowMs: 0, sliceMs: Infinity });
      const tempFilesOpen = (): number =>
        fs.readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return fs.readlinkSync(`/proc/self/fd/${fd}`).includes('etilqs_');
          } catch {
            return false; // closed while listed
          }
        }).length;
      let n = 0;
      /** Temp files open at the end of a batch of 16 items written as a job writes them (a scene, then its experience). */
      const round = async (): Promise<number> => {
        const writes = Array.from({ length: 16 }, () => {
          const i = n++;
          const id = `scene-${i}` as SceneId;
          jobs.items.planItems(
            jobId,
            [{ id: `item-${i}`, stage: 'experiences', key: `k-${i}`, input: { sceneId: id } }],
            0,
          );
          return [
            batch.write(() =>
              dataset.insertScene(
                {
                  ...{ id, characterId, jobId, itemId: `item-${i}`, ordinal: 0, chunkId: null, protective: false },
                  ...{ limit: null, type: 'chat', location: `Room ${i}`, time: 'Spring 1790', callId: null },
                  ...{ background: `Beethoven meets visitor ${i}.`, people: [`Visitor ${i}`], promptVersion: 'v' },
                },
                Date.now(),
              ),
            ),
            batch.write(() => {
              const turns = Array.from({ length: 12 }, (_, t) => ({
                speaker: t % 2 ? 'Beethoven' : `Visitor ${i}`,
                kind: 'speaking' as const,
                text: line.repeat(2) + `(${i}.${t})`,
              }));
              const experience = {
                background: `Afternoon ${i}.`,
                turns,
                problems: [],
                callId: null,
                promptVersion: 'v',
              };
              dataset.insertExperience(id, experience, Date.now());
              jobs.items.completeItem(`item-${i}`, null, Date.now());
            }),
          ];
        });
        // Inside the batch's transaction, after every other write of it.
        const open = batch.write(tempFilesOpen);
        await Promise.all(writes.flat());
        return open;
      };
      expect(await round()).toBe(0);
      expect(await round()).toBe(0);
      // What the studio's setting spares: at SQLite's default the same writes spill to a temp file.
      db.pragma('temp_store = DEFAULT');
      expect(await round()).toBeGreaterThan(0);
      expect(dataset.countCharacterScenes(characterId, false)).toBe(n);
    },
  );

  it('an import’s stage is a file of its own, gone once the import is committed or dropped', async () => {
    const { studio } = env;
    const characterId = await beethovenWithProfile(studio);
    const repo = new DatasetImportRepo(studio.db);
    for (const end of ['commit', 'discard'] as const) {
      const stage = repo.stage(characterId, Date.now());
      const empty = fs.statSync(stage.location).size;
      stage.add(
        Array.from({ length: 200 }, (_, i) => ({
          id: `imported-${end}-${i}` as SceneId,
          ordinal: i + 1,
          protective: false,
          type: 'chat',
          location: 'Vienna',
          background: line.repeat(20),
          people: ['Schindler'],
          file: null,
          line: i + 1,
          source: null,
          doc: '{}',
          experience: null,
        })),
      );
      // On disk as it fills, not in the connection's memory.
      expect(fs.statSync(stage.location).size).toBeGreaterThan(empty + 200 * line.length * 20);
      if (end === 'commit') {
        expect(stage.begin('import-1', 'scenes.jsonl', 'jsonl')).toBe(200);
        expect(stage.copySlice('import-1', 0, () => true)).toBe(200);
        stage.finish('import-1');
      }
      await stage.discard();
      expect(fs.existsSync(stage.location)).toBe(false);
    }
    expect(new DatasetRepo(studio.db).countCharacterScenes(characterId, false)).toBe(200);
  });
});
