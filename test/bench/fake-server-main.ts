// A fake OpenAI-compatible server in its own process, so the benchmark's CPU figures are the
// studio's alone. Prints `{"baseURL": …}` on stdout once listening.
import { startFakeLlmServer } from '../support/fake-llm-server';

const latencyMs = Number(process.env.FAKE_LATENCY_MS ?? 300);
const server = await startFakeLlmServer({
  apiKey: null,
  latencyMs,
  responder: () => 'A short answer from the fake model.',
});
process.stdout.write(JSON.stringify({ baseURL: server.baseURL }) + '\n');
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
