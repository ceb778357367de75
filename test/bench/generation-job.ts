// A whole generation job (limits → scenes → experiences → protective scenes) through the real
// Studio in this process, against the fake OpenAI-compatible server in its own process (so its CPU
// is not counted) answering after 300 ms, at a provider concurrency of 16 and 32; then the same job
// on a character that already has `SEEDED_SCENES` scenes with their experiences (written through
// the repository), with the Dataset tab closed and with a client asking for `dataset/stats` every
// 750 ms, as the open Dataset tab does.
//
// Figures, each `{ value, goal, unit }`:
// - `ratioToIdeal`: wall time over the ideal. The ideal is what a provider answering every call in
//   exactly `LATENCY_MS`, `concurrency` at a time, allows for the calls the job made: rounds of
//   `concurrency` calls, where the first round can only hold the calls that need no other answer
//   (the limits and the scene calls; protective scenes need the limits, experiences their scene).
// - `cpuMsPerItem`: this process's CPU (user + system) over the job, per job item done.
// - `mainThreadCpuMsPerItem`: the main thread's share of it (thread-clock.ts), steadier than the
//   process's figure, which also holds the V8 helper threads' GC and SQLite's checkpoints.
//
// `BENCH_GENERATION_CASES` (comma-separated, of `c16`, `c32`, `seeded`, `polling`) runs only those
// cases, for alternated before/after comparisons; all of them by default. `BENCH_CPU_PROFILE_DIR`
// writes a V8 CPU profile of each measured job there (`<concurrency>-<scenes before>.cpuprofile`,
// the job alone: no start-up, warm-up or seeding), for `node --cpu-prof`'s view of that window only;
// `BENCH_PROFILE_US` sets its sampling interval in microseconds (default 1000: at 100, a function's
// share per item is steadier, and the profiler's own cost inflates the job's CPU figures).
// - `cpuMsPerItemByThread`: the process's CPU per item split by thread: `main`, `v8Helpers` (the
//   threads there before the first studio opened: V8's GC and compiler helpers, libuv's), and
//   `studioThreads` (those started since: the WAL checkpointer's, the reader's). Linux only.
// - `eventLoopDelayP99Ms` / `eventLoopDelayMaxMs`: `perf_hooks.monitorEventLoopDelay` during a second
//   run of the same case, right after the first (`watchedRun`). The monitor is a libuv timer firing
//   every 5 ms: it wakes an idle process 200 times a second, ~14 ms of CPU a second here, which a
//   job mostly waiting on its provider pays in full (0.2–0.3 ms per item at 16 at a time). Measured
//   in the same job, that cost was billed to the studio's CPU per item; so the first run, whose
//   CPU, wall time and ratio are reported, runs without it. `watchedRun.cpuMsPerItem` shows the CPU
//   per item with the monitor on, for comparison.
import path from 'node:path';
import { startFakeServerProcess } from '../support/fake-server-process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { CharacterId, JobId, ProviderId, SceneId } from '../../common/contract';
import type { Studio } from '../../main/core/studio';
import { encodeSignature, sceneSignature } from '../../main/core/pipeline/parse-dedupe';
import { DatasetRepo } from '../../main/store/dataset-repo';
import { beethovenWithProfile, call, generationSettings, makeStudio } from '../support/studio';
import { threadClock, threadsCpuMs } from './thread-clock';

const LATENCY_MS = 300;
const TARGET_SCENES = 160;
const POLL_MS = 750;
const SEEDED_SCENES = 1_500;
/** The threads of this process before any studio opened (see `cpuMsPerItemByThread`). */
let launchThreads = new Set<number>();

interface Figure {
  value: number;
  goal: number | null;
  unit: string;
}

async function prepare(
  studio: Studio,
  baseURL: string,
  concurrency: number,
): Promise<{ characterId: CharacterId; providerId: ProviderId }> {
  const characterId = await beethovenWithProfile(studio);
  const provider = await call(studio, 'providers/create', {
    name: 'Fake',
    preset: 'custom',
    baseUrl: baseURL,
    model: 'fake-model',
    modelPath: '',
    apiKey: 'bench',
    maxConcurrency: concurrency,
    requestsPerMinute: 0,
    timeoutMs: 60_000,
    structuredOutput: true,
  });
  return { characterId, providerId: provider.id };
}

/**
 * `count` scenes with their experiences (a dozen turns, ~5 KB each) and their near-duplicate
 * signatures, as earlier runs leave them.
 */
function seed(studio: Studio, characterId: CharacterId, count: number): void {
  const dataset = new DatasetRepo(studio.db);
  const now = Date.now() - 60_000;
  const line = 'The light is fading over the Rhine, and the second movement still will not come right. ';
  studio.db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = `seed-${i}` as SceneId;
      const text = {
        location: `Room ${i} of the house in Bonn`,
        background: `Seeded scene ${i}: Beethoven meets visitor ${i} to talk about quartet ${i}.`,
      };
      dataset.insertScene(
        {
          id,
          characterId,
          jobId: null as unknown as JobId, // an earlier job since deleted: its scenes stay
          itemId: `seed-item-${i}`,
          ordinal: 0,
          chunkId: null,
          protective: false,
          limit: null,
          type: 'chat',
          ...text,
          time: `Spring ${1780 + (i % 40)}`,
          people: [`Visitor ${i}`],
          callId: null,
          promptVersion: 'builtin@1',
          dedupeSignature: encodeSignature(sceneSignature(text)),
        },
        now,
      );
      dataset.insertExperience(
        id,
        {
          background: `A quiet afternoon, conversation ${i}.`,
          turns: Array.from({ length: 12 }, (_, t) => ({
            speaker: t % 2 === 0 ? `Visitor ${i}` : 'Beethoven',
            kind: 'speaking' as const,
            text: line.repeat(4) + `(${i}.${t})`,
          })),
          problems: [],
          callId: null,
          promptVersion: 'builtin@1',
        },
        now,
      );
    }
  })();
}

/** With `BENCH_CPU_PROFILE_DIR` set, starts a CPU profile; the function returned stops it and writes it as `<name>.cpuprofile`. */
async function startProfile(): Promise<((name: string) => Promise<void>) | null> {
  const dir = process.env['BENCH_CPU_PROFILE_DIR'];
  if (!dir) return null;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: Number(process.env['BENCH_PROFILE_US'] ?? 1000) });
  await session.post('Profiler.start');
  return async (name) => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  };
}

/** Calls per stage the job made (attempts, retries included), from the call record. */
function callsByStage(studio: Studio, jobId: string): Record<string, number> {
  const rows = studio.db
    .prepare(
      `SELECT i.stage AS stage, count(*) AS n FROM llm_calls c JOIN job_items i ON i.id = c.item_id
       WHERE c.job_id = ? GROUP BY i.stage`,
    )
    .all(jobId) as { stage: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
}

function idealMs(calls: Record<string, number>, concurrency: number): number {
  const all = Object.values(calls).reduce((a, b) => a + b, 0);
  const first = Math.min(concurrency, (calls['limits'] ?? 0) + (calls['scenes'] ?? 0));
  const rounds = Math.max(Math.ceil(all / concurrency), 1 + Math.ceil((all - first) / concurrency));
  return rounds * LATENCY_MS;
}

export async function measure(
  baseURL: string,
  concurrency: number,
  options: { pollStats?: boolean; seeded?: number; newScenes?: number; profile?: boolean; watchLoop?: boolean } = {},
) {
  const { pollStats = false, seeded = 0, newScenes = TARGET_SCENES, profile = true, watchLoop = false } = options;
  const env = makeStudio();
  try {
    const { characterId, providerId } = await prepare(env.studio, baseURL, concurrency);
    if (seeded > 0) {
      seed(env.studio, characterId, seeded);
      // The seeding's pages copied into the database file now: that checkpoint (~45 ms of the
      // checkpointer thread's CPU) is the seeding's, and landed in the job's window.
      await env.studio.checkpointer.drain();
    }
    // The checkpointer's thread starts with the studio (~25 ms of CPU on another core, once per
    // process): running, not starting, by the time a job does.
    await env.studio.checkpointer.online;
    const targetScenes = seeded + newScenes;
    // The Dataset tab shows its figures before the job starts, which starts the studio's reader
    // thread (~50 ms of CPU on another core, once per process): not the job's to pay.
    if (pollStats) await env.studio.invoke('dataset/stats', { characterId });
    const delay = monitorEventLoopDelay({ resolution: 5 });
    let polls = 0;
    let pollMs = 0;
    const poller = pollStats
      ? setInterval(() => {
          const t = performance.now();
          void env.studio.invoke('dataset/stats', { characterId }).then(() => {
            polls++;
            pollMs += performance.now() - t;
          });
        }, POLL_MS)
      : null;
    // The garbage of what ran before (the warm-up's or the last case's studio, this one's set-up)
    // is collected now, not by the GC threads inside the window, where it was billed to this job.
    global.gc?.();
    const profiler = profile ? await startProfile() : null;
    if (watchLoop) delay.enable();
    const clock = threadClock();
    const mainBefore = clock?.().cpuMs ?? 0;
    const threadsBefore = threadsCpuMs();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const job = await call(env.studio, 'generation/start', {
      characterId,
      settings: generationSettings(providerId, { targetScenes, scenesPerCall: 10, protectiveShare: 0.03 }),
    });
    const finished = await env.studio.generation.whenIdle(job.id);
    await profiler?.(`${concurrency}-${seeded}`);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const mainCpuMs = (clock?.().cpuMs ?? Number.NaN) - mainBefore;
    const byThread = { main: 0, v8Helpers: 0, studioThreads: 0 };
    for (const [tid, ms] of threadsCpuMs()) {
      const spent = ms - (threadsBefore.get(tid) ?? 0);
      if (tid === process.pid) byThread.main += spent;
      else if (launchThreads.has(tid)) byThread.v8Helpers += spent;
      else byThread.studioThreads += spent;
    }
    delay.disable();
    if (poller) clearInterval(poller);
    if (finished.status !== 'succeeded') throw new Error(`the job ended ${finished.status}: ${finished.message}`);
    const calls = callsByStage(env.studio, job.id);
    const items = env.studio.db
      .prepare(`SELECT count(*) FROM job_items WHERE job_id = ? AND status = 'done'`)
      .pluck()
      .get(job.id) as number;
    const ideal = idealMs(calls, concurrency);
    const figures: Record<string, Figure | number | object> = {
      concurrency,
      scenesBefore: seeded,
      latencyMs: LATENCY_MS,
      items,
      calls,
      wallMs: Math.round(wallMs),
      idealMs: ideal,
      ratioToIdeal: { value: Number((wallMs / ideal).toFixed(3)), goal: 1.1, unit: '× ideal' },
      cpuMsPerItem: {
        value: Number(((cpu.user + cpu.system) / 1000 / items).toFixed(2)),
        goal: 2,
        unit: 'ms CPU per item',
      },
      mainThreadCpuMsPerItem: { value: Number((mainCpuMs / items).toFixed(2)), goal: null, unit: 'ms CPU per item' },
      cpuMsPerItemByThread: {
        ...Object.fromEntries(Object.entries(byThread).map(([k, ms]) => [k, Number((ms / items).toFixed(2))])),
        unit: 'ms CPU per item',
      },
      ...(watchLoop && {
        eventLoopDelayP99Ms: { value: Number((delay.percentile(99) / 1e6).toFixed(1)), goal: 50, unit: 'ms' },
        eventLoopDelayMaxMs: { value: Number((delay.max / 1e6).toFixed(1)), goal: 50, unit: 'ms' },
      }),
    };
    if (pollStats) figures['statsPolls'] = { count: polls, meanMs: Number((pollMs / Math.max(1, polls)).toFixed(1)) };
    return figures;
  } finally {
    await env.studio.shutdown();
    env.cleanup();
  }
}

type MeasureOptions = NonNullable<Parameters<typeof measure>[2]>;

/**
 * One case, run twice: its figures from a run without the event-loop monitor, then the monitor's
 * figures from a second run of the same job (see the header on why), with that run's CPU beside.
 */
async function measureCase(
  baseURL: string,
  concurrency: number,
  options: MeasureOptions = {},
): Promise<Record<string, Figure | number | object | undefined>> {
  const figures = await measure(baseURL, concurrency, options);
  const watched = await measure(baseURL, concurrency, { ...options, profile: false, watchLoop: true });
  return {
    ...figures,
    eventLoopDelayP99Ms: watched['eventLoopDelayP99Ms'],
    eventLoopDelayMaxMs: watched['eventLoopDelayMaxMs'],
    watchedRun: { wallMs: watched['wallMs'], cpuMsPerItem: watched['cpuMsPerItem'] },
  };
}

export async function run(): Promise<object> {
  launchThreads = new Set(threadsCpuMs().keys());
  const server = await startFakeServerProcess(path.join(path.dirname(process.argv[1] ?? '.'), 'fake-server-main.mjs'), {
    FAKE_LATENCY_MS: String(LATENCY_MS),
    FAKE_RESPONDER: 'studio',
  });
  try {
    const cases = new Set((process.env['BENCH_GENERATION_CASES'] ?? 'c16,c32,seeded,polling').split(','));
    await measure(server.baseURL, 16, { newScenes: 30, profile: false }); // warm-up: JIT, sockets, SQLite
    const results: Record<string, object> = {};
    if (cases.has('c16')) results['concurrency16'] = await measureCase(server.baseURL, 16);
    if (cases.has('c32')) results['concurrency32'] = await measureCase(server.baseURL, 32);
    const seededKey = `concurrency16With${SEEDED_SCENES}Scenes`;
    const seeded16 = cases.has('seeded') ? await measureCase(server.baseURL, 16, { seeded: SEEDED_SCENES }) : null;
    if (seeded16) results[seededKey] = seeded16;
    if (cases.has('polling')) {
      const polling = await measureCase(server.baseURL, 16, { seeded: SEEDED_SCENES, pollStats: true });
      const quietWall = seeded16?.['wallMs'] as number | undefined;
      results[`${seededKey}PollingStats`] = {
        ...polling,
        ...(quietWall && {
          slowdownVsQuiet: {
            value: Number(((polling['wallMs'] as number) / quietWall).toFixed(3)),
            goal: 1.05,
            unit: '× the job with the Dataset tab closed',
          },
        }),
      };
    }
    return results;
  } finally {
    server.stop();
  }
}
