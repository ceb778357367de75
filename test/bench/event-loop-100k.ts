// The web door's event loop at dataset scale: a character with SCENES scenes (built through the
// repositories, as dataset-scale.ts does, in a process of its own as an earlier session's: see
// build-dataset-main.ts), served by the real WebServer over a Studio as `serve`
// runs it, while a generation job (for a second character: a job's target stops at 20,000) runs against the fake OpenAI-compatible server (own process,
// 300 ms latency, concurrency 16) and a client does what the open Dataset tab does (stats, a page
// of scenes, the problems filter and one scene read, every 750 ms) plus what a user asks for at
// that scale: the training estimate, a training run's start (which writes the whole dataset file),
// the jobs list, the Generate tab's estimate and defaults, and the import of a big profile.
//
// Figures, each `{ value, goal, unit }` (goal: no synchronous stretch over 50 ms):
// - `eventLoopDelayMaxMs` / `eventLoopDelayP99Ms`: `perf_hooks.monitorEventLoopDelay` over it all;
// - `longestStretchMs.<command>`: the longest event-loop stall (a 5 ms timer coming late) that
//   overlapped one of that command's requests. A stall overlapping several requests counts for each,
//   so this is an upper bound per command; the overall maximum is exact. Each comes with how much
//   of it this thread ran on a CPU (`onCpuMs`) and waited for one (`waitingMs`), from Linux's
//   schedstat: on a loaded machine a stall can be all waiting, the machine's and not ours;
// - `longestOnCpuStretchMs.<command>` / `longestOnCpuMs` / `stallsOver50MsOnCpu`: the same for the
//   time on a CPU within a stall, i.e. our own synchronous work (within the scheduler's ~4 ms tick).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CommandArg, CommandName, CommandResult } from '../../common/contract';
import { Studio } from '../../main/core/studio';
import { WebServer } from '../../main/server/web-server';
import { fixture, repoRoot } from '../support/paths';
import { fakeProviderDraft, generationSettings, launchRefusedConfig } from '../support/studio';
import { buildInOwnProcess } from './built-dataset';
import { threadClock } from './thread-clock';

const SCENES = Number(process.env.BENCH_SCENES ?? 100_000);
const NEW_SCENES = 160;
const LATENCY_MS = 300;
const POLL_MS = 750;
const GOAL_MS = 50;

interface Figure {
  value: number;
  goal: number;
  unit: string;
}

const figure = (value: number): Figure => ({ value: Number(value.toFixed(1)), goal: GOAL_MS, unit: 'ms' });

async function startLlmServer(): Promise<{ baseURL: string; stop: () => void }> {
  const script = path.join(path.dirname(process.argv[1] ?? '.'), 'fake-server-main.mjs');
  const child = spawn(process.execPath, [script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FAKE_LATENCY_MS: String(LATENCY_MS), FAKE_RESPONDER: 'studio' },
  });
  const line = await new Promise<string>((resolve) =>
    readline.createInterface({ input: child.stdout }).once('line', resolve),
  );
  return { baseURL: (JSON.parse(line) as { baseURL: string }).baseURL, stop: () => child.kill('SIGTERM') };
}

interface Stall {
  start: number;
  end: number;
  /** Of the stall, ms this thread ran on a CPU and ms it waited for one (NaN without schedstat). */
  onCpuMs: number;
  waitingMs: number;
  /** [last tick, late tick] on the monotonic clock in µs: a `--cpu-prof` profile's timestamps. */
  monotonicUs: [number, number];
}

/** Event-loop stalls: a 5 ms interval timer that fires late by more than `floorMs` records one. */
function watchStalls(floorMs = 20) {
  const stalls: Stall[] = [];
  const clock = threadClock();
  const none = { cpuMs: NaN, waitMs: NaN };
  let last = performance.now();
  let lastClock = clock?.() ?? none;
  let lastHr = Number(process.hrtime.bigint() / 1000n);
  const timer = setInterval(() => {
    const now = performance.now();
    const at = clock?.() ?? none;
    const hr = Number(process.hrtime.bigint() / 1000n);
    if (now - last - 5 > floorMs)
      stalls.push({
        start: last + 5,
        end: now,
        onCpuMs: at.cpuMs - lastClock.cpuMs,
        waitingMs: at.waitMs - lastClock.waitMs,
        monotonicUs: [lastHr, hr],
      });
    last = now;
    lastHr = hr;
    lastClock = at;
  }, 5);
  return { stalls, stop: () => clearInterval(timer) };
}

export async function run(): Promise<object> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-evloop-'));
  const llm = await startLlmServer();
  // The big character comes from an earlier session of the studio (build-dataset-main.ts).
  const buildStarted = performance.now();
  const { characterId } = await buildInOwnProcess(dataDir, SCENES);
  const buildSeconds = Math.round((performance.now() - buildStarted) / 1000);
  const studio = new Studio({ dataDir, door: 'web', version: 'bench' });
  const server = new WebServer({ studio, staticDir: path.join(repoRoot, 'dist', 'renderer') });
  const requests: { name: string; start: number; end: number }[] = [];
  try {
    await server.start();
    // `sent`: the argument already as bytes (a browser encodes in its own process; the client here
    // shares this one, so a big body is made before the measured window). Sent by node:http in
    // one write: fetch streamed a Blob through web streams, copying it a chunk at a time on this
    // loop (~55 ms for the 8 MB profile), the client's work a browser does elsewhere.
    const agent = new http.Agent({ keepAlive: true });
    const invoke = async <K extends CommandName>(
      name: K,
      arg: CommandArg<K>,
      refusal?: RegExp,
      sent?: Buffer,
    ): Promise<CommandResult<K>> => {
      const start = performance.now();
      const payload = sent ?? Buffer.from(JSON.stringify(arg));
      const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const request = http.request(`${server.origin}/api/invoke/${name}`, {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${server.token}`,
            'content-type': 'application/json',
            'content-length': payload.length,
          },
        });
        request.once('response', resolve).once('error', reject);
        request.end(payload);
      });
      // The client shares this process with the server (a browser would decode and parse in its
      // own): a big answer nobody reads (the import's profile) is drained as bytes, never decoded or
      // parsed, so its cost is not counted as the server's.
      const pieces: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of response as AsyncIterable<Buffer>) {
        bytes += chunk.byteLength;
        if (name !== 'profiles/import' || bytes <= 2 ** 20) pieces.push(chunk);
      }
      const ok = response.statusCode === 200;
      const unread = ok && name === 'profiles/import' && bytes > 2 ** 20;
      const body = (unread ? {} : JSON.parse(Buffer.concat(pieces).toString('utf8'))) as {
        result?: CommandResult<K>;
        error?: { message: string };
      };
      requests.push({ name, start, end: performance.now() });
      if (body.error && !refusal?.test(body.error.message)) throw new Error(`${name}: ${body.error.message}`);
      return body.result as CommandResult<K>;
    };

    const life = fs.readFileSync(fixture('wiki_Beethoven.txt'));
    // A job's target stops at 20,000 scenes, so the job runs for a second character, beside the big one.
    const second = await invoke('characters/create', {
      fullName: 'Ludwig van Beethoven (the late years)',
      shortName: 'Beethoven',
      era: '1815–1827',
      notes: '',
    });
    for (const id of [characterId, second.id])
      await invoke('profiles/import', { characterId: id, fileBase64: life.toString('base64'), fileName: 'life.txt' });
    const provider = await invoke('providers/create', {
      ...fakeProviderDraft(llm.baseURL),
      maxConcurrency: 16,
      structuredOutput: true,
    });
    const settings = generationSettings(provider.id, { targetScenes: NEW_SCENES, scenesPerCall: 10 });

    const bigProfile = {
      characterId,
      fileBase64: Buffer.from(life.toString('utf8').repeat(Math.floor((6 * 2 ** 20) / life.length))).toString('base64'),
      fileName: 'big.txt',
    };
    const bigProfileBody = Buffer.from(JSON.stringify(bigProfile));

    const rssAtStart = Math.round(process.memoryUsage().rss / 2 ** 20);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    const watch = watchStalls();
    delay.enable();
    const job = await invoke('generation/start', { characterId: second.id, settings });

    // The open Dataset tab: stats and the shown page refetched every 750 ms (the renderer's
    // `invalidateDatasetSoon`), the problems filter, and the scene a reader has open.
    let tabOpen = true;
    const datasetTab = (async () => {
      // A reader scrolling down the list: each poll reads the next keyset page, from the top again at the end.
      let after: string | undefined;
      while (tabOpen) {
        const tick = new Promise((resolve) => setTimeout(resolve, POLL_MS));
        const [, list] = await Promise.all([
          invoke('dataset/stats', { characterId }),
          invoke('scenes/list', { characterId, limit: 50, ...(after !== undefined && { after }) }),
          invoke('scenes/list', { characterId, limit: 50, problems: true }),
        ]);
        const first = list.scenes[0];
        if (first) await invoke('scenes/get', { id: first.id });
        after = list.next ?? undefined;
        await tick;
      }
    })();

    // What a user asks for meanwhile, one after another.
    const config = launchRefusedConfig();
    await invoke('training/estimate', { characterId, config });
    await invoke('jobs/list', { characterId });
    await invoke('generation/defaults', { characterId });
    await invoke('generation/estimate', { characterId, settings: { ...settings, targetScenes: 20_000 } });
    await invoke('training/start', { characterId, config }, /could not run the trainer's environment check/);
    await invoke('profiles/import', bigProfile, undefined, bigProfileBody);
    await invoke('jobs/list', { characterId });

    const finished = await studio.generation.whenIdle(job.id);
    tabOpen = false;
    await datasetTab;
    delay.disable();
    watch.stop();
    agent.destroy();

    // Per command, the longest stall that overlapped it and, apart, the most time on a CPU of a stall
    // that overlapped it: the first is what a user felt, the second what was ours.
    const longest: Record<string, Figure & { onCpuMs: number; waitingMs: number }> = {};
    const longestOnCpu: Record<string, Figure> = {};
    const ms = (value: number) => Number(value.toFixed(1));
    for (const r of requests) {
      const overlapping = watch.stalls.filter((s) => s.end > r.start && s.start < r.end);
      const worst = overlapping.reduce<Stall | null>((w, s) => (!w || s.end - s.start > w.end - w.start ? s : w), null);
      if (worst && worst.end - worst.start > (longest[r.name]?.value ?? -1))
        longest[r.name] = {
          ...figure(worst.end - worst.start),
          onCpuMs: ms(worst.onCpuMs),
          waitingMs: ms(worst.waitingMs),
        };
      longest[r.name] ??= { ...figure(0), onCpuMs: 0, waitingMs: 0 };
      const onCpu = Math.max(0, ...overlapping.map((s) => s.onCpuMs).filter((v) => !Number.isNaN(v)));
      longestOnCpu[r.name] = figure(Math.max(longestOnCpu[r.name]?.value ?? 0, onCpu));
    }
    // With BENCH_STALLS_FILE set, every stall goes there, to be matched against a `--cpu-prof`
    // profile of the run (scripts/profile-stalls.py names the code that ran in each).
    if (process.env.BENCH_STALLS_FILE) fs.writeFileSync(process.env.BENCH_STALLS_FILE, JSON.stringify(watch.stalls));
    return {
      scenes: SCENES,
      buildSeconds,
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      rssMiB: { atStart: rssAtStart, atEnd: Math.round(process.memoryUsage().rss / 2 ** 20) },
      job: { status: finished.status, newScenes: NEW_SCENES, latencyMs: LATENCY_MS, concurrency: 16 },
      requests: requests.length,
      eventLoopDelayMaxMs: figure(delay.max / 1e6),
      eventLoopDelayP99Ms: figure(delay.percentile(99) / 1e6),
      stallsOver50Ms: watch.stalls.filter((s) => s.end - s.start > GOAL_MS).length,
      stallsOver50MsOnCpu: watch.stalls.filter((s) => s.onCpuMs > GOAL_MS).length,
      longestOnCpuMs: figure(Math.max(0, ...watch.stalls.map((s) => s.onCpuMs).filter((v) => !Number.isNaN(v)))),
      longestStretchMs: longest,
      longestOnCpuStretchMs: longestOnCpu,
    };
  } finally {
    await server.close();
    await studio.shutdown();
    llm.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
