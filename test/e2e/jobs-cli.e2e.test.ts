import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, Job, ProviderId } from '../../common/contract';
import { runCliIn } from '../support/cli';
import { fakeProviderCliArgs, generationSettings } from '../support/drafts';
import { startFakeLlmServer, type FakeLlmServer, type FakeResponder } from '../support/fake-llm-server';
import { gate } from '../support/gate';
import { fixture, tempDir } from '../support/paths';
import { invokeServe, spawnBuiltCli, startServe, type ServeHandle } from '../support/serve';
import { studioResponder } from '../support/studio-responder';

// The CLI's `jobs` beside a running `serve` (the real built one, its own process): a job serve runs
// is paused and cancelled from a terminal, as a person with the studio open in a browser would.

let data: ReturnType<typeof tempDir>;
let llm: FakeLlmServer;
let serve: ServeHandle;
/** Shut while a job must certainly be mid-way (its calls wait at the fake provider). */
const answers = gate();

function withGate(answer: FakeResponder): FakeResponder {
  return async (req, index) => {
    await answers.passed();
    return answer(req, index);
  };
}

const cli = (...args: string[]) => runCliIn(data.dir, args);

beforeAll(async () => {
  data = tempDir('cs-e2e-jobs-');
  llm = await startFakeLlmServer({ responder: withGate(studioResponder()), latencyMs: 30 });
  const steps = [
    ['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven'],
    ['profiles', 'import', 'Beethoven', fixture('wiki_Beethoven.txt')],
    fakeProviderCliArgs(llm.baseURL),
  ];
  for (const step of steps) {
    const done = await cli(...step);
    expect(done.code, done.err).toBe(0);
  }
  serve = await startServe(data.dir);
});
afterAll(async () => {
  answers.open();
  await serve?.stop();
  await llm?.close();
  data?.cleanup();
});

/** Starts a generation job in serve and returns once serve's run has a call waiting at the provider. */
async function startInServe(characterId: CharacterId, providerId: ProviderId, more?: number): Promise<Job> {
  answers.shut();
  const sent = llm.requests.length;
  const job = await invokeServe(serve, 'generation/start', {
    characterId,
    settings: generationSettings(providerId, { targetScenes: 6, scenesPerCall: 3, protectiveShare: 0 }),
    ...(more !== undefined && { more }),
  });
  expect(job).toMatchObject({ status: 'running', runsElsewhere: false });
  await expect.poll(() => llm.requests.length).toBeGreaterThan(sent);
  return job;
}

/** Resolves with the first job of a `jobs/progressed` event serve streams that `wanted` accepts. */
function progressed(wanted: (job: Job) => boolean): { seen: Promise<Job>; close: () => void } {
  let close = () => undefined as void;
  const seen = new Promise<Job>((resolve, reject) => {
    const req = http.get(
      `${serve.origin}/api/events`,
      { headers: { authorization: `Bearer ${serve.token}` }, agent: false },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          const blocks = text.split('\n\n');
          text = blocks.pop() ?? '';
          for (const block of blocks) {
            const data = /^event: jobs\/progressed\ndata: (.*)$/m.exec(block)?.[1];
            const job = data ? (JSON.parse(data) as Job) : null;
            if (job && wanted(job)) {
              req.destroy();
              resolve(job);
            }
          }
        });
      },
    );
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    close = () => req.destroy();
  });
  return { seen, close };
}

/** Whether a fake request asks for scenes (the other stages' calls wait at the gate in the first test). */
const asksForScenes = (req: Parameters<FakeResponder>[0]) => req.messages.at(-1)?.content.includes('Imagine') ?? false;

describe('character-studio jobs beside serve', () => {
  it('shows serve the progress of a job a terminal runs, live, and lets it pause the job there', async () => {
    // Scenes are answered, experiences wait: the job is certainly mid-way, and has moved.
    const answer: FakeResponder = studioResponder();
    llm.setResponder(async (req, index) => {
      if (!asksForScenes(req)) await answers.passed();
      return answer(req, index);
    });
    answers.shut();
    const live = progressed(
      (job) => job.status === 'running' && job.stages.some((s) => s.stage === 'scenes' && s.done === 3),
    );
    const child = spawnBuiltCli(data.dir, [
      ...['generate', 'Beethoven', '--provider', 'Fake'],
      ...['--target', '3', '--per-call', '3', '--protective', '0'],
    ]);
    child.stdout.resume();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Serve runs none of it: what its pages get comes from watching the job's row.
    const job = await live.seen;
    expect(job).toMatchObject({ kind: 'generation', status: 'running', done: 3, runsElsewhere: true });

    const stopped = progressed((j) => j.id === job.id && j.status === 'paused');
    try {
      const asked = await invokeServe(serve, 'jobs/pause', { id: job.id });
      expect(asked).toMatchObject({ status: 'running', message: 'Pausing: asked of the process running it…' });
      expect(await exited, stderr).toBe(3);
      expect(stderr).toMatch(/Paused\. Resume to continue where it left off\./);
      expect((await stopped.seen).message).toBe('Paused. Resume to continue where it left off.');
    } finally {
      stopped.close();
      llm.setResponder(withGate(studioResponder()));
    }
    // Cancelled from serve at rest, so the next test starts from a character with no open job.
    expect(await invokeServe(serve, 'jobs/cancel', { id: job.id })).toMatchObject({ status: 'cancelled' });
  });

  it('pauses and cancels a job serve runs, resumes it here, and lists and shows jobs', async () => {
    const [character] = await invokeServe(serve, 'characters/list', {});
    const [provider] = await invokeServe(serve, 'providers/list', {});
    const first = await startInServe(character!.id, provider!.id);

    const running = await cli('jobs', 'list', 'Beethoven', '--status', 'running');
    expect(running.out).toMatch(new RegExp(`^${first.id} +generation +running +.* · run by another process$`));
    // Named by a start of its id; serve's run is asked, stops its calls, and the command waits for that.
    const paused = await cli('jobs', 'pause', first.id.slice(0, 13));
    expect(paused.code, paused.err).toBe(0);
    expect(paused.err).toMatch(/Pausing: asked of the process running it/);
    expect(paused.out).toMatch(new RegExp(`^${first.id} +generation +paused +\\d+/\\d+`));
    expect(paused.out).toMatch(/Paused\. Resume to continue where it left off\./);
    const inServe = await invokeServe(serve, 'jobs/get', { id: first.id });
    expect(inServe).toMatchObject({ status: 'paused' });

    // Resumed here, it runs in this process to its end, its progress on stderr.
    answers.open();
    const resumed = await cli('jobs', 'resume', first.id);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.err).toMatch(/^Resuming \(\d+\/\d+ done\)/);
    expect(
      // A custom endpoint may bill, and fake-model has no price: its cost is unknown, not $0.
      resumed.err.match(
        /\[succeeded\] scenes 6\/6 · experiences 6\/6 · protective 0\/0 · [\d,]+ tokens · cost unknown$/gm,
      ),
    ).toHaveLength(1);
    expect(await invokeServe(serve, 'jobs/get', { id: first.id })).toMatchObject({ status: 'succeeded' });

    // A second run, three scenes more, cancelled while serve runs it: what was written stays.
    const second = await startInServe(character!.id, provider!.id, 3);
    const cancelled = await cli('jobs', 'cancel', second.id);
    expect(cancelled.code, cancelled.err).toBe(0);
    expect(cancelled.out).toMatch(new RegExp(`^${second.id} +generation +cancelled `));
    expect(await invokeServe(serve, 'jobs/get', { id: second.id })).toMatchObject({ status: 'cancelled' });
    const again = await cli('jobs', 'pause', second.id);
    expect(again.code).toBe(1);
    expect(again.err).toBe('Error: A cancelled job cannot be paused.');

    // The list, newest first, and one job in full.
    const listed = await cli('jobs', 'list', 'Beethoven');
    expect(listed.out.split('\n').filter((line) => !line.startsWith(' '))).toEqual([
      expect.stringMatching(new RegExp(`^${second.id} +generation +cancelled `)),
      expect.stringMatching(new RegExp(`^${first.id} +generation +succeeded +\\d+/\\d+ · `)),
      expect.stringMatching(/^\S+ +generation +cancelled /), // the first test's
    ]);
    const json = JSON.parse((await cli('jobs', 'list', 'Beethoven', '--status', 'succeeded', '--json')).out) as Job[];
    expect(json.map((job) => job.id)).toEqual([first.id]);
    expect((await cli('jobs', 'list', 'Beethoven', '--status', 'failed', '--kind', 'judge')).out).toBe(
      'Ludwig van Beethoven has no failed judge jobs.',
    );
    const shown = await cli('jobs', 'show', first.id);
    expect(shown.out).toMatch(
      new RegExp(`^Job ${first.id} \\(generation\\)\\n\\[succeeded\\] scenes 6/6 · experiences 6/6`),
    );
    expect(shown.out).toMatch(/· budget none/);
    expect(shown.out).toMatch(
      /\n\d+ calls went to a model with no price set, so their cost is not counted\. Add the model's price under Settings → Prices/,
    );
    const unknown = await cli('jobs', 'show', 'ffff');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(
      /No job has the id "ffff" or one starting with it\. See the ids with: character-studio jobs list/,
    );
    const badKind = await cli('jobs', 'list', 'Beethoven', '--kind', 'training');
    expect(badKind.code).toBe(2);
    expect(badKind.err).toMatch(/Unknown --kind "training" for jobs: use generation, regenerate, interview, judge\./);
  });
});
