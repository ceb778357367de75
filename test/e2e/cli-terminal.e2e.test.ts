import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handSceneOfBeethoven, runCliIn } from '../support/cli';
import { builtCliBin, tempDir } from '../support/paths';

// The built CLI at a real terminal: util-linux `script` gives it a pseudo-terminal, so standard
// input and error are TTYs and a delete asks there, as it asks a person (the unit tests answer
// through Io.ask; this holds the real question on process.stdin to the same behaviour).

let data: ReturnType<typeof tempDir>;
let scene: string;

beforeAll(async () => {
  data = tempDir('cs-e2e-terminal-');
  scene = await handSceneOfBeethoven((args, stdin) => runCliIn(data.dir, args, stdin));
});
afterAll(() => data?.cleanup());

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** `args` of the built CLI on a pseudo-terminal; `answer` is typed once the question shows. */
function atTerminal(args: string[], answer: string): Promise<{ code: number | null; shown: string }> {
  const command = [process.execPath, builtCliBin, ...args].concat(['--data-dir', data.dir]).map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CHARACTER_STUDIO_HOME: '', TERM: 'dumb' },
  });
  let shown = '';
  let typed = false;
  child.stdout.on('data', (chunk: Buffer) => {
    shown += chunk.toString('utf8');
    if (!typed && shown.includes('[y/N]')) {
      typed = true;
      child.stdin.write(`${answer}\r`);
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, shown }));
  });
}

describe('the built CLI at a terminal', () => {
  it('asks before scenes delete, keeps the scene on No, deletes it on y', async () => {
    const no = await atTerminal(['scenes', 'delete', scene], 'n');
    expect(no.shown).toContain(
      `Delete 1 scene (${scene} "Walk" (Heiligenstadt, 1802)) with its experience and history? This cannot be undone. [y/N]`,
    );
    expect(no.shown).toContain('Nothing was deleted.');
    expect(no.code).toBe(1);
    expect((await runCliIn(data.dir, ['scenes', 'show', scene])).code).toBe(0);

    const yes = await atTerminal(['scenes', 'delete', scene], 'y');
    expect(yes.shown).toContain(`Deleted scene ${scene} "Walk" (Heiligenstadt, 1802).`);
    expect(yes.code).toBe(0);
    expect((await runCliIn(data.dir, ['scenes', 'show', scene])).code).toBe(1);
  }, 60_000);
});
