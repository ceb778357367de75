import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Interview, InterviewTranscript } from '../../common/contract';
import { fakeProviderCliArgs } from '../support/drafts';
import { startFakeLlmServer, type FakeChatRequest, type FakeLlmServer } from '../support/fake-llm-server';
import { repoRoot, tempDir } from '../support/paths';

/**
 * A real crash: `character-studio interview` (the built CLI, a child process) is SIGKILLed while the
 * interviewee is answering round 3 of a multi-turn interview. Running the same command again
 * finds the job interrupted, resumes it, and the interview goes on at round 3: rounds 1 and 2 stay
 * as they were and round 3's question, already asked and paid for, is not asked again.
 */

let server: FakeLlmServer;
let data: { dir: string; cleanup: () => void };
/** Set while the interviewee should hang at round 3 (the kill comes then). */
let hangAtRound3: (() => void) | null = null;
const BIN = path.join(repoRoot, 'bin', 'character-studio.cjs');

/** The built CLI in a child process on the test's data folder (stdin: `input`). */
function run(args: string[], input = ''): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--data-dir', data.dir], { stdio: 'pipe' });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}
const cli = (...args: string[]) => run(args);

function isInterviewer(req: FakeChatRequest): boolean {
  return /question for round \d+ of/.test(req.messages.at(-1)?.content ?? '');
}

beforeAll(async () => {
  data = tempDir('cs-e2e-interview-kill-');
  server = await startFakeLlmServer({
    responder: async (req) => {
      const user = req.messages.at(-1)!.content;
      if (isInterviewer(req)) return `Man: Question for round ${/round (\d+) of/.exec(user)![1]}?`;
      const round = req.messages.filter((m) => m.role === 'user').length;
      if (round === 3 && hangAtRound3) {
        hangAtRound3();
        await new Promise(() => undefined);
      }
      return { text: `Answer to: ${user}`, reasoning: `Thinking about: ${user}` };
    },
  });
  expect(
    (await cli('characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven')).code,
  ).toBe(0);
  expect((await cli(...fakeProviderCliArgs(server.baseURL))).code).toBe(0);
  expect(
    (await cli('interview', 'Beethoven', 'add-system', '--kind', 'prompted', '--provider', 'Fake', '--name', 'P')).code,
  ).toBe(0);
  const made = await run(
    ['questions', 'Beethoven', 'import', '-', '--name', 'Goals', '--mode', 'multi'],
    JSON.stringify([{ topic_id: 'topic-2', topic: 'people', question: 'find out what he thought of Haydn' }]),
  );
  expect(made.code, made.err).toBe(0);
}, 60_000);
afterAll(async () => {
  await server?.close();
  data?.cleanup();
});

describe('an interview killed mid-round', () => {
  it('resumes at that round when the same command runs again', async () => {
    const args = [
      'interview',
      'Beethoven',
      '--system',
      'P',
      '--set',
      'Goals',
      '--mode',
      'multi',
      '--rounds',
      '4',
      '--provider',
      'Fake',
    ];
    const arrived = new Promise<void>((resolve) => (hangAtRound3 = resolve));
    const child = spawn(process.execPath, [BIN, ...args, '--data-dir', data.dir], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // A child that ends before round 3 fails the test with its exit, not a timeout.
    await Promise.race([arrived, exited.then(() => Promise.reject(new Error('the interview ended before round 3')))]);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    hangAtRound3 = null;

    const [cut] = JSON.parse((await cli('interview', 'Beethoven', 'list', '--json')).out) as Interview[];
    const before = JSON.parse(
      (await cli('interview', 'Beethoven', 'show', cut!.id, '--json')).out,
    ) as InterviewTranscript;
    expect(before.interview.roundsDone).toBe(2);
    const asked = server.requests.filter((r) => r.chat && isInterviewer(r.chat)).length;
    expect(asked).toBe(3);

    const again = await cli(...args);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/Resuming the interrupted interview job/);
    const after = JSON.parse(
      (await cli('interview', 'Beethoven', 'show', cut!.id, '--json')).out,
    ) as InterviewTranscript;
    expect(after.interview).toMatchObject({ roundsDone: 4, rounds: 4, status: 'done' });
    // Rounds 1 and 2 and round 3's question are the same rows; only round 4 was asked anew.
    const kept = before.turns.map((t) => t.id);
    expect(after.turns.slice(0, kept.length).map((t) => t.id)).toEqual(kept);
    expect(server.requests.filter((r) => r.chat && isInterviewer(r.chat)).length).toBe(asked + 1);
    expect(after.turns.filter((t) => t.role === 'interviewer').map((t) => t.text)).toEqual(
      [1, 2, 3, 4].map((r) => `Question for round ${r}?`),
    );
  });
});
