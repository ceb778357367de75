import { describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli/main';
import { CLI_OPTIONS } from '../../../main/cli/options';
import { USAGE } from '../../../main/cli/usage';

/** Every `--flag` the help text names. */
function namedOptions(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]!));
}

describe('the CLI usage text and its option table', () => {
  it('names every option the parser accepts, and accepts every option it names', () => {
    const named = namedOptions(USAGE);
    const parsed = new Set(Object.keys(CLI_OPTIONS));
    expect([...named].filter((flag) => !parsed.has(flag)).sort()).toEqual([]);
    expect([...parsed].filter((flag) => !named.has(flag)).sort()).toEqual([]);
  });

  it('is what --help prints (exit 0) and what no command prints (exit 2)', async () => {
    const run = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, {
        out: (text) => out.push(text),
        err: (text) => err.push(text),
        stdin: () => Promise.resolve(Buffer.alloc(0)),
      });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    expect(await run(['--help'])).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await run(['-h'])).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await run([])).toEqual({ code: 2, out: USAGE, err: '' });
    const unknown = await run(['--no-such-option']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/Unknown option '--no-such-option'[\s\S]*Run character-studio --help for usage\./);
  });
});
