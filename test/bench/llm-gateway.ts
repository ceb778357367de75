// LLM gateway throughput: N calls through LlmGateway + the OpenAI-compatible provider (the real
// `openai` client; unwatched calls, so answered whole as a job's are) against the fake server with
// fixed latency, at several concurrencies.
// Reports the ratio to the ideal (calls × latency / concurrency), CPU time per call in this
// process, and peak resident memory; and, at concurrency 32, the same calls through the openai
// client (a provider given its own fetch takes that path) beside the direct path answers read whole
// take (whole-completion.ts), alternating, so the saving is measured where it is claimed.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { LlmGateway } from '../../main/core/llm/gateway';
import { leanFetch } from '../../main/core/llm/lean-fetch';
import { OpenAiCompatibleProvider } from '../../main/core/llm/openai-provider';

const LATENCY_MS = 300;

async function startServer(serverScript: string): Promise<{ baseURL: string; stop: () => void }> {
  const child = spawn(process.execPath, [serverScript], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FAKE_LATENCY_MS: String(LATENCY_MS) },
  });
  const line = await new Promise<string>((resolve) =>
    readline.createInterface({ input: child.stdout }).once('line', resolve),
  );
  return { baseURL: (JSON.parse(line) as { baseURL: string }).baseURL, stop: () => child.kill('SIGTERM') };
}

async function measure(baseURL: string, calls: number, concurrency: number, throughClient = false) {
  const provider = new OpenAiCompatibleProvider({
    preset: 'custom',
    baseURL,
    model: 'fake-model',
    ...(throughClient && { fetch: leanFetch() }),
  });
  const gateway = new LlmGateway(provider, { maxConcurrency: concurrency, timeoutMs: 30_000 });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: calls }, (_, i) =>
      gateway.complete({ messages: [{ role: 'user', content: `Question ${i}` }], maxTokens: 32 }),
    ),
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  const idealMs = (calls * LATENCY_MS) / concurrency;
  return {
    calls,
    concurrency,
    latencyMs: LATENCY_MS,
    wallMs: Math.round(wallMs),
    idealMs: Math.round(idealMs),
    ratio: Number((wallMs / idealMs).toFixed(3)),
    cpuMsPerCall: Number(((cpu.user + cpu.system) / 1000 / calls).toFixed(3)),
    peakRssMiB: Math.round(peakRss / 1024 / 1024),
  };
}

export async function run(): Promise<object> {
  const server = await startServer(path.join(path.dirname(process.argv[1] ?? '.'), 'fake-server-main.mjs'));
  try {
    await measure(server.baseURL, 64, 32); // warm-up: JIT, sockets
    await measure(server.baseURL, 64, 32, true);
    const direct: number[] = [];
    const client: number[] = [];
    for (let i = 0; i < 5; i++) {
      direct.push((await measure(server.baseURL, 320, 32)).cpuMsPerCall);
      client.push((await measure(server.baseURL, 320, 32, true)).cpuMsPerCall);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[2]!;
    return {
      wholeAnswersCpuMsPerCall: {
        direct: median(direct),
        throughOpenaiClient: median(client),
        unit: 'ms CPU per call, median of 5 alternating rounds of 320 calls at concurrency 32',
      },
      concurrency32: await measure(server.baseURL, 2000, 32),
      concurrency8: await measure(server.baseURL, 400, 8),
      concurrency1: await measure(server.baseURL, 40, 1),
    };
  } finally {
    server.stop();
  }
}
