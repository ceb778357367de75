import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { onInterrupt } from '../../../main/cli/interrupt';
import { tempDir } from '../../support/paths';

const HELPER = path.join(__dirname, '../../../main/cli/interrupt.ts');

/** The helper alone, as the built CLI runs it, in a process of its own a second signal may end. */
function helperModule(dir: string): string {
  const file = path.join(dir, 'interrupt.mjs');
  fs.writeFileSync(file, transformSync(fs.readFileSync(HELPER, 'utf8'), { loader: 'ts', format: 'esm' }).code);
  return file;
}

/**
 * A command in a child process, sent `signal` `times` times, that follows work which ends once asked
 * to stop (`times` 1) or never (ending by itself after 20 s, exit 0, when a second signal did not end it).
 */
async function signalled(
  signal: NodeJS.Signals,
  times: number,
): Promise<{ code: number | null; signal: string | null; err: string }> {
  const { dir, cleanup } = tempDir('cs-interrupt-');
  const script = path.join(dir, 'command.mjs');
  fs.writeFileSync(
    script,
    `import { onInterrupt } from ${JSON.stringify(helperModule(dir))};
const end = () => { clearTimeout(work); process.stderr.write('ended\\n'); };
const work = setTimeout(end, 20_000);
let stops = 0;
onInterrupt(() => {
  stops += 1;
  process.stderr.write('stopping ' + stops + '\\n');
  if (${times} === 1) setImmediate(end);
}, ['SIGINT', 'SIGTERM']);
for (let i = 0; i < ${times}; i++) process.kill(process.pid, ${JSON.stringify(signal)});
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  try {
    return await new Promise((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig, err })));
  } finally {
    cleanup();
  }
}

describe('onInterrupt', () => {
  it('calls stop on the first signal only, and its disposer removes the listeners', () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    let stops = 0;
    const off = onInterrupt(() => void (stops += 1), ['SIGINT', 'SIGTERM']);
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    process.emit('SIGINT');
    expect(stops).toBe(1);
    off();
    expect(process.listenerCount('SIGINT')).toBe(before.int);
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
  });

  it('listens to SIGINT alone unless told otherwise', () => {
    const before = process.listenerCount('SIGTERM');
    const off = onInterrupt(() => undefined);
    try {
      expect(process.listenerCount('SIGTERM')).toBe(before);
      expect(process.listenerCount('SIGINT')).toBeGreaterThan(0);
    } finally {
      off();
    }
  });

  it('leaves a failed stop request unreported: the followed work reports its own end', async () => {
    let rejected = false;
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', note);
    const off = onInterrupt(() =>
      Promise.reject(new Error('no such job')).finally(() => {
        rejected = true;
      }),
    );
    try {
      process.emit('SIGINT');
      await expect.poll(() => rejected).toBe(true);
      // An unhandled rejection is reported after the microtasks that could handle it: a macrotask later.
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      off();
      process.off('unhandledRejection', note);
    }
  });

  it('lets the command go on after one Ctrl+C, so it can report how the work ended', async () => {
    const run = await signalled('SIGINT', 1);
    expect(run).toEqual({ code: 0, signal: null, err: 'stopping 1\nended\n' });
  }, 30_000);

  it('exits at once with 130 on a second Ctrl+C, without a second stop', async () => {
    const run = await signalled('SIGINT', 2);
    expect(run).toEqual({ code: 130, signal: null, err: 'stopping 1\n' });
  }, 30_000);

  it('exits with 143 on a second SIGTERM: the shell code of the signal that ended it', async () => {
    const run = await signalled('SIGTERM', 2);
    expect(run).toEqual({ code: 143, signal: null, err: 'stopping 1\n' });
  }, 30_000);
});
