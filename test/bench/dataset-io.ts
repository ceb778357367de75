// Datasets in and out at scale: a character with SCENES scenes (dataset-scale.ts's builder, about
// 600 tokens each, one in ten protective, one in ten with a format problem) exported in every
// format, and each export imported again into a fresh studio. Per format: time, peak RSS above the
// start (sampled every 5 ms), the file's size, and the longest the event loop was held
// and how much of the longest time between two ticks this thread ran on a CPU (schedstat, see
// thread-clock.ts: on a loaded machine a stall is mostly waiting for a core). `SCENES` (env
// BENCH_SCENES) defaults to 100,000.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CharacterId, DatasetFormat } from '../../common/contract';
import { Studio } from '../../main/core/studio';
import { buildInOwnProcess } from './built-dataset';
import { threadClock } from './thread-clock';

const SCENES = Number(process.env.BENCH_SCENES ?? 100_000);
// BENCH_FORMATS (comma-separated) runs only those, e.g. to check one quickly.
const FORMATS = (process.env.BENCH_FORMATS?.split(',') ?? [
  'paper',
  'sharegpt',
  'openai',
  'alpaca',
  'hf',
]) as DatasetFormat[];

async function invoke<T>(studio: Studio, name: string, arg: unknown): Promise<T> {
  const outcome = await studio.invoke(name, arg);
  if (!outcome.ok) throw new Error(`${name}: ${outcome.error.message}`);
  return outcome.result as T;
}

const character = (studio: Studio) =>
  invoke<{ id: CharacterId }>(studio, 'characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '1770–1827',
    notes: '',
  });

/** Runs `work` while sampling RSS every 5 ms and the event loop's longest stall. */
async function measured<T>(work: () => Promise<T>) {
  global.gc?.();
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  let last = performance.now();
  let longestStallMs = 0;
  // The most time this thread ran on a CPU between two ticks: our own synchronous work, which a
  // loaded machine does not inflate the way it does the stall's length.
  const clock = threadClock();
  let lastCpuMs = clock?.().cpuMs ?? NaN;
  let longestOnCpuMs = 0;
  // Ticks late by more than 30 ms, when (epoch ms, to match an strace -ttt log) and for how long.
  const stalls: {
    atEpochMs: number;
    ms: number;
    onCpuMs: number;
    waitingMs: number;
    /** [last tick, late tick] on the monotonic clock in µs: a `--cpu-prof` profile's (scripts/profile-stalls.mjs). */
    monotonicUs: [number, number];
    start: number;
    end: number;
  }[] = [];
  const hrUs = () => Number(process.hrtime.bigint() / 1000n);
  let lastHr = hrUs();
  let lastWaitMs = clock?.().waitMs ?? NaN;
  const tick = () => {
    const now = performance.now();
    longestStallMs = Math.max(longestStallMs, now - last - 5);
    const { cpuMs, waitMs } = clock?.() ?? { cpuMs: NaN, waitMs: NaN };
    if (now - last - 5 > 30) {
      stalls.push({
        atEpochMs: Date.now(),
        ms: Math.round(now - last),
        onCpuMs: Math.round(cpuMs - lastCpuMs),
        waitingMs: Math.round(waitMs - lastWaitMs),
        monotonicUs: [lastHr, hrUs()],
        start: last,
        end: now,
      });
    }
    lastHr = hrUs();
    lastWaitMs = waitMs;
    last = now;
    if (cpuMs - lastCpuMs > longestOnCpuMs) longestOnCpuMs = cpuMs - lastCpuMs;
    lastCpuMs = cpuMs;
  };
  const sampler = setInterval(() => {
    tick();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = await work();
  const ms = performance.now() - started;
  // The process's CPU time (every thread): steadier than the wall time on a shared machine.
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  // A stall that ends the work (an import's final copy into the store) is seen by no later tick.
  tick();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return {
    result,
    stalls,
    seconds: Number((ms / 1000).toFixed(2)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    peakRssGrowthMiB: Math.round((peakRss - startRss) / 2 ** 20),
    longestEventLoopStallMs: Math.round(longestStallMs),
    longestStallOnCpuMs: Math.round(longestOnCpuMs),
  };
}

function sizeMiB(target: string): number {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return Math.round(stat.size / 2 ** 20);
  return fs.readdirSync(target, { recursive: true }).reduce<number>((n, f) => {
    const s = fs.statSync(path.join(target, String(f)));
    return n + (s.isFile() ? s.size / 2 ** 20 : 0);
  }, 0);
}

export async function run(): Promise<object> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-io-'));
  const figures: Record<string, object> = {};
  try {
    // Built as an earlier session of the studio would have (not in this process: see built-dataset.ts).
    const beethoven = { id: (await buildInOwnProcess(dataDir, SCENES)).characterId };
    const studio = new Studio({ dataDir, door: 'cli', version: 'bench' });
    for (const format of FORMATS) {
      const out = path.join(dataDir, `export-${format}`);
      const exported = await measured(() =>
        invoke<{ train: number }>(studio, 'dataset/export', {
          characterIds: [beethoven.id],
          format,
          out,
          includeProblems: true,
        }),
      );
      const importDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-io-import-'));
      const target = new Studio({ dataDir: importDir, door: 'cli', version: 'bench' });
      try {
        const into = await character(target);
        const imported = await measured(() =>
          invoke<{ scenes: number }>(target, 'dataset/import', {
            characterId: into.id,
            path: format === 'hf' ? out : path.join(out, 'train.jsonl'),
          }),
        );
        figures[format] = {
          scenes: exported.result.train,
          fileMiB: Math.round(sizeMiB(format === 'hf' ? path.join(out, 'data') : path.join(out, 'train.jsonl'))),
          exportSeconds: exported.seconds,
          exportPeakRssGrowthMiB: exported.peakRssGrowthMiB,
          exportLongestEventLoopStallMs: exported.longestEventLoopStallMs,
          exportLongestStallOnCpuMs: exported.longestStallOnCpuMs,
          importedScenes: imported.result.scenes,
          importSeconds: imported.seconds,
          importCpuSeconds: imported.cpuSeconds,
          importPeakRssGrowthMiB: imported.peakRssGrowthMiB,
          importLongestEventLoopStallMs: imported.longestEventLoopStallMs,
          importLongestStallOnCpuMs: imported.longestStallOnCpuMs,
        };
        process.stderr.write(`  ${format}: ${JSON.stringify(figures[format])}\n`);
        // With BENCH_STALLS_FILE set, the import's stalls over 30 ms go there, and the export's
        // beside them (to match against an `strace -f -ttt -T` log or a `--cpu-prof` profile of the run).
        if (process.env.BENCH_STALLS_FILE) {
          fs.writeFileSync(`${process.env.BENCH_STALLS_FILE}.${format}.json`, JSON.stringify(imported.stalls));
          fs.writeFileSync(`${process.env.BENCH_STALLS_FILE}.${format}.export.json`, JSON.stringify(exported.stalls));
        }
      } finally {
        target.close();
        fs.rmSync(importDir, { recursive: true, force: true });
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
    studio.close();
    return { scenes: SCENES, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))), ...figures };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
