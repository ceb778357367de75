// Requests at dataset scale: a character with SCENES scenes (each with an experience of about 600
// tokens, as the experiences stage writes them), all made by one generation job, built through the
// repositories in one transaction. Measures what the Dataset tab, the Train tab and every door's
// start pay for it: `dataset/stats`, `training/estimate` (time and memory growth), a `scenes/list`
// page's size, `jobs/list`, a running job's progress figures, and opening the database. Each figure is `{ value, goal, unit }`.
// `SCENES` (env BENCH_SCENES) defaults to 100,000; the database it makes is about 0.4 GB.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { CharacterId, ChunkId, JobId, ProviderId, SceneId, Turn } from '../../common/contract';
import { Studio } from '../../main/core/studio';
import { DEFAULT_HYPERPARAMETERS } from '../../main/core/training/catalog';
import { openDatabase } from '../../main/store/database';
import { DatasetRepo } from '../../main/store/dataset-repo';
import { JobsRepo } from '../../main/store/jobs-repo';
import { fakeProviderDraft, generationSettings } from '../support/drafts';

const SCENES = Number(process.env.BENCH_SCENES ?? 100_000);
const REPEATS = 5;

interface Figure {
  value: number;
  goal: number;
  unit: string;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const figure = (value: number, goal: number, unit: string): Figure => ({ value: Math.round(value), goal, unit });

/** About 600 tokens of dialogue in 12 turns; some thinking, one in ten by another speaker (a format problem). */
function turnsOf(i: number): Turn[] {
  const line = `In scene ${i} the conversation turns to the sonata, the publisher and the rent that is due again; `;
  return Array.from({ length: 12 }, (_, t) => ({
    speaker: t % 2 === 0 ? 'Beethoven' : 'Neefe',
    kind: t === 3 ? 'thinking' : 'speaking',
    text: line.repeat(2) + `turn ${t}.`,
  }));
}

async function invoke<T>(studio: Studio, name: string, arg: unknown): Promise<T> {
  const outcome = await studio.invoke(name, arg);
  if (!outcome.ok) throw new Error(`${name}: ${outcome.error.message}`);
  return outcome.result as T;
}

async function timed(studio: Studio, name: string, arg: unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    await invoke(studio, name, arg);
    times.push(performance.now() - started);
  }
  return median(times);
}

/** `scenes` scenes with their experiences for `characterId`, as one finished job made them (one transaction). */
export function build(studio: Studio, characterId: CharacterId, scenes = SCENES): JobId {
  const jobs = new JobsRepo(studio.db);
  const dataset = new DatasetRepo(studio.db);
  const jobId = 'bench-job' as JobId;
  const now = Date.now();
  jobs.insertJob(
    { id: jobId, characterId, settings: generationSettings('none' as ProviderId, { targetScenes: scenes }) },
    now,
  );
  studio.db.transaction(() => {
    for (let i = 0; i < scenes; i++) {
      const id = `scene-${i}` as SceneId;
      const protective = i % 10 === 9;
      dataset.insertScene(
        {
          id,
          characterId,
          jobId,
          itemId: `item-${Math.floor(i / 5)}`,
          ordinal: i % 5,
          chunkId: null as ChunkId | null,
          protective,
          limit: protective ? 'The telephone' : null,
          type: 'Conversation',
          location: `Bonn, the Neefe house, room ${i % 40}`,
          time: '1783',
          background: 'Neefe listens to the boy play the new sonata and says what he thinks of it, kindly.',
          people: ['Neefe'],
          callId: null,
          promptVersion: 'builtin@1',
        },
        now + i,
      );
      dataset.insertExperience(
        id,
        {
          background: 'A grey afternoon; the organ loft is cold.',
          turns: turnsOf(i),
          callId: null,
          promptVersion: 'builtin@1',
          problems: i % 10 === 0 ? [{ code: 'other_thinking', message: 'Neefe thinks', turn: 3, raw: '' }] : [],
        },
        now + i,
      );
    }
  })();
  return jobId;
}

/** Chunks of the profile the scenes are spread over (the paper's profiles have 13–115). */
const CHUNKS = 100;

/**
 * The Statistics view's commands at full size: the scenes are spread over a profile of CHUNKS
 * chunks first (the build makes them without one), so the coverage chart has its real work.
 */
async function timeCharts(studio: Studio, characterId: CharacterId): Promise<{ chartsMs: number; compareMs: number }> {
  const life = Array.from({ length: CHUNKS }, (_, i) => `Part ${i} of the life, in Bonn and Vienna.`).join('\n\n');
  await invoke(studio, 'profiles/import', {
    characterId,
    fileBase64: Buffer.from(life).toString('base64'),
    fileName: 'life.txt',
  });
  studio.db
    .prepare(
      `UPDATE scenes SET chunk_id = (SELECT ch.id FROM chunks ch JOIN profiles p ON p.id = ch.profile_id
         WHERE p.character_id = scenes.character_id AND ch.position = scenes.rowid % ?)`,
    )
    .run(CHUNKS);
  return {
    chartsMs: await timed(studio, 'dataset/charts', { characterId }),
    compareMs: await timed(studio, 'dataset/compare', {}),
  };
}

/**
 * What one progress event of a job of this size costs (`jobs/get` builds the same view): the
 * build's job (every scene its own), resumed against a server that accepts calls and never
 * answers, so it stays running; then the same job paused (a job at rest counts it all).
 */
async function timeJobProgress(studio: Studio): Promise<{ runningMs: number; atRestMs: number }> {
  let sent: () => void = () => undefined;
  const called = new Promise<void>((resolve) => (sent = resolve));
  const silent = net.createServer((socket) => {
    sent();
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const port = (silent.address() as net.AddressInfo).port;
    const provider = await invoke<{ id: ProviderId }>(studio, 'providers/create', {
      ...fakeProviderDraft(`http://127.0.0.1:${port}/v1`),
      maxConcurrency: 4,
    });
    const id = 'bench-job' as JobId;
    const jobs = new JobsRepo(studio.db);
    jobs.setSettings(id, generationSettings(provider.id, { targetScenes: SCENES }), Date.now());
    jobs.setStatus(id, 'paused', null, Date.now());
    await invoke(studio, 'jobs/resume', { id });
    const ended = studio.generation.whenIdle(id).then((job) => {
      throw new Error(`the resumed job ended ${job.status} before it sent a call: ${job.message ?? ''}`);
    });
    await Promise.race([called, ended]);
    const runningMs = await timed(studio, 'jobs/get', { id });
    await invoke(studio, 'jobs/pause', { id });
    await studio.generation.whenIdle(id);
    const atRestMs = await timed(studio, 'jobs/get', { id });
    return { runningMs, atRestMs: Math.round(atRestMs) };
  } finally {
    silent.close();
  }
}

export async function run(): Promise<object> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-scale-'));
  try {
    let studio = new Studio({ dataDir, door: 'cli', version: 'bench' });
    const character = await invoke<{ id: CharacterId }>(studio, 'characters/create', {
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      era: '1770–1827',
      notes: '',
    });
    const buildStarted = performance.now();
    build(studio, character.id);
    const buildMs = performance.now() - buildStarted;
    studio.close();
    const databaseBytes = fs.statSync(studio.databasePath).size;

    // Opening, file cache warm as on a second launch: after a clean close (structure checks,
    // migrations) and after an unclean shutdown, when the full page check runs (`fullCheck` takes
    // the same path a crashed session's marker does).
    const openMs = (options: { fullCheck?: boolean }) => {
      const times: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const started = performance.now();
        openDatabase(studio.databasePath, options).close();
        times.push(performance.now() - started);
      }
      return median(times);
    };
    const cleanOpenMs = openMs({});
    const uncleanOpenMs = openMs({ fullCheck: true });

    studio = new Studio({ dataDir, door: 'cli', version: 'bench' });
    const characterId = character.id;
    const statsMs = await timed(studio, 'dataset/stats', { characterId });
    const { chartsMs, compareMs } = await timeCharts(studio, characterId);
    const config = {
      baseModel: 'Qwen/Qwen2.5-1.5B-Instruct',
      format: 'chat',
      target: 'local',
      python: '',
      hyperparameters: DEFAULT_HYPERPARAMETERS,
    };
    global.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
    }, 5);
    const estimateStarted = performance.now();
    await invoke(studio, 'training/estimate', { characterId, config });
    const firstEstimateMs = performance.now() - estimateStarted;
    const after = process.memoryUsage();
    peakRss = Math.max(peakRss, after.rss);
    peakHeap = Math.max(peakHeap, after.heapUsed);
    clearInterval(sampler);
    const estimateMs = Math.min(firstEstimateMs, await timed(studio, 'training/estimate', { characterId, config }));
    const page = await invoke<unknown>(studio, 'scenes/list', { characterId, limit: 50 });
    const jobsMs = await timed(studio, 'jobs/list', { characterId });
    const progress = await timeJobProgress(studio);
    studio.close();
    return {
      scenes: SCENES,
      databaseMiB: Math.round(databaseBytes / 2 ** 20),
      buildSeconds: Math.round(buildMs / 1000),
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      datasetStatsMs: figure(statsMs, 100, 'ms'),
      datasetChartsMs: figure(chartsMs, 500, 'ms (the Statistics view: every chart of one character)'),
      datasetCompareMs: figure(compareMs, 500, 'ms (every character side by side)'),
      trainingEstimateMs: figure(estimateMs, 200, 'ms'),
      trainingEstimateRssGrowthMiB: figure((peakRss - before.rss) / 2 ** 20, 50, 'MiB'),
      trainingEstimateHeapGrowthMiB: figure((peakHeap - before.heapUsed) / 2 ** 20, 50, 'MiB'),
      scenesListPageBytes: figure(Buffer.byteLength(JSON.stringify(page)), 30_000, 'bytes (50 scenes)'),
      jobsListMs: figure(jobsMs, 20, 'ms'),
      jobProgressMs: {
        value: Number(progress.runningMs.toFixed(1)),
        goal: 5,
        unit: 'ms (a running job’s figures, as each progress event reads them)',
      },
      jobAtRestMs: progress.atRestMs,
      openDatabaseMs: figure(cleanOpenMs, 100, `ms (${Math.round(databaseBytes / 2 ** 20)} MiB file)`),
      // No goal below a second: after a crash, reading every page is the point.
      openDatabaseAfterCrashMs: figure(
        uncleanOpenMs,
        2_000,
        `ms (${Math.round(databaseBytes / 2 ** 20)} MiB file, full check)`,
      ),
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
