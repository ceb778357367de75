// A fake OpenAI-compatible server in its own process, so the benchmark's CPU figures are the
// studio's alone. Prints `{"baseURL": …}` on stdout once listening. `FAKE_RESPONDER=studio` answers
// the studio's generation prompts (scenes, experiences, limits) as a capable model would;
// `FAKE_RESPONDER=judge` answers the judge's prompts (reasoning, then the verdict twice); otherwise
// every answer is one short sentence.
import { startFakeLlmServer, type FakeResponder } from '../support/fake-llm-server';
import { judgeResponder } from '../support/judge-responder';
import { studioResponder } from '../support/studio-responder';

const RESPONDERS: Record<string, FakeResponder> = { studio: studioResponder(), judge: judgeResponder() };
const latencyMs = Number(process.env.FAKE_LATENCY_MS ?? 300);
const server = await startFakeLlmServer({
  apiKey: null,
  // `FAKE_MODELS=a,b`: the models it lists and accepts (default: `fake-model`).
  ...(process.env.FAKE_MODELS && { models: process.env.FAKE_MODELS.split(',') }),
  latencyMs,
  responder: RESPONDERS[process.env.FAKE_RESPONDER ?? ''] ?? (() => 'A short answer from the fake model.'),
});
process.stdout.write(JSON.stringify({ baseURL: server.baseURL }) + '\n');
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
