import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../support/paths';
import { runCli } from '../../../main/cli/main';
import { CLI_OPTIONS } from '../../../main/cli/options';
import { USAGE } from '../../../main/cli/usage';
import { closestWord, commandWords, topCommands } from '../../../main/cli/command-hints';

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

describe('an unknown command', () => {
  // A folder of its own, should a refusal ever come too late and open a studio.
  let data: ReturnType<typeof tempDir>;
  beforeAll(() => {
    data = tempDir('cs-hints-');
  });
  afterAll(() => data.cleanup());
  const run = async (args: string[]) => {
    const err: string[] = [];
    const code = await runCli([...args, '--data-dir', data.dir], {
      out: () => undefined,
      err: (text) => err.push(text),
      stdin: () => Promise.resolve(Buffer.alloc(0)),
    });
    return { code, err: err.join('\n') };
  };

  it('is refused with what was likely meant (another tool’s word, a slip of a letter) and what the group has', async () => {
    expect(await run(['providers', 'create', '--name', 'x'])).toEqual({
      code: 2,
      err: expect.stringContaining(
        'Unknown command "providers create". Did you mean: character-studio providers add? The providers commands: list, add, update, delete, prices, price, test.',
      ),
    });
    expect((await run(['jobs', 'ls'])).err).toMatch(/Did you mean: character-studio jobs list\?/);
    expect((await run(['providers', 'rm', 'Fake'])).err).toMatch(/Did you mean: character-studio providers delete\?/);
    // A swapped pair of letters, before any scene id is looked up.
    expect((await run(['scenes', 'shwo', 'abc'])).err).toMatch(
      /^Unknown command "scenes shwo"\. Did you mean: character-studio scenes show\?/,
    );
    expect((await run(['charcters', 'list'])).err).toMatch(/Did you mean: character-studio characters list\?/);
    expect((await run(['frobnicate'])).err).toMatch(/^Unknown command "frobnicate"\.\n/);
    // A group alone lists its commands, the alternatives a usage line names (`jobs pause | jobs cancel`) included.
    expect(await run(['jobs'])).toEqual({
      code: 2,
      err: expect.stringContaining(
        '"jobs" needs a command. The jobs commands: list, show, pause, cancel, resume, retry, budget.',
      ),
    });
  });

  it('never refuses a command the help text names', () => {
    for (const [group, words] of Object.entries({
      characters: ['list', 'create', 'update', 'delete'],
      scenes: [
        'list',
        'show',
        'history',
        'provenance',
        'diff',
        'proposals',
        'adopt',
        'restore',
        'edit',
        'regenerate',
        'create',
        'duplicate',
        'delete',
      ],
      dataset: ['stats', 'compare', 'problems', 'complete', 'delete'],
    })) {
      expect(commandWords(group)).toEqual(words);
    }
    expect(closestWord('prof', topCommands())).toBe('profiles');
    expect(closestWord('zzzz', commandWords('jobs'))).toBeNull();
  });
});
