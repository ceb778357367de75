import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KnowledgeLimit, PromptTemplate } from '../../../common/contract';
import { runCliIn } from '../../support/cli';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { fixture, tempDir } from '../../support/paths';
import { studioResponder } from '../../support/studio-responder';

let tmp: ReturnType<typeof tempDir>;
let server: FakeLlmServer;
const cli = (args: string[], stdin = '') => runCliIn(tmp.dir, args, stdin);
const limitsOf = async () => JSON.parse((await cli(['limits', 'Beethoven', '--json'])).out) as KnowledgeLimit[];

beforeAll(async () => {
  tmp = tempDir('cs-cli-prompts-');
  server = await startFakeLlmServer({ responder: studioResponder() });
  await cli(['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven']);
  await cli(['profiles', 'import', 'Beethoven', fixture('wiki_Beethoven.txt')]);
  const base = ['--base-url', server.baseURL, '--model', 'fake-model', '--api-key', 'test-key'];
  expect((await cli(['providers', 'add', '--name', 'Fake', '--preset', 'custom', ...base])).code).toBe(0);
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

describe('character-studio limits', () => {
  it('writes, adds to, deletes from and generates the list, and refuses bad numbers keeping the list', async () => {
    const empty = await cli(['limits', 'Beethoven']);
    expect(empty.code).toBe(0);
    expect(empty.out).toMatch(/No list yet of what Beethoven cannot know\. Write one \(character-studio limits/);

    const set = await cli(
      ['limits', 'Beethoven', 'set', '-'],
      'The telephone\n\n   Recorded   music \nThe telephone\n',
    );
    expect(set.code, set.err).toBe(0);
    expect(set.out).toContain('1. The telephone\n2. Recorded music');
    expect((await limitsOf()).map((l) => [l.text, l.source])).toEqual([
      ['The telephone', 'user'],
      ['Recorded music', 'user'],
    ]);

    expect((await cli(['limits', 'Beethoven', 'add', 'The Python language'])).code).toBe(0);
    const deleted = await cli(['limits', 'Beethoven', 'delete', '1,3']);
    expect(deleted.code, deleted.err).toBe(0);
    expect((await limitsOf()).map((l) => l.text)).toEqual(['Recorded music']);

    const bad = await cli(['limits', 'Beethoven', 'delete', '2']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/"2": give numbers from 1 to 1, as list prints them/);
    const blank = await cli(['limits', 'Beethoven', 'set', '-'], '\n  \n');
    expect(blank.code).toBe(2);
    expect(blank.err).toMatch(/Standard input holds no line/);
    expect((await limitsOf()).map((l) => l.text)).toEqual(['Recorded music']);

    const noProvider = await cli(['limits', 'Beethoven', 'generate']);
    expect(noProvider.code).toBe(2);
    expect(noProvider.err).toMatch(/needs --provider <provider>/);
    const generated = await cli(['limits', 'Beethoven', 'generate', '--provider', 'Fake']);
    expect(generated.code, generated.err).toBe(0);
    expect(generated.err).toMatch(/Asking Fake what Ludwig van Beethoven cannot know/);
    const after = await limitsOf();
    expect(after.length).toBeGreaterThan(1);
    expect(after.every((l) => l.source === 'generated')).toBe(true);
    expect(generated.out).toContain('(generated)');
  });
});

describe('character-studio prompts', () => {
  it('lists and shows the stage prompts, saves a custom version from a file or stdin, refuses a bad one, and resets', async () => {
    const list = JSON.parse((await cli(['prompts', 'Beethoven', '--json'])).out) as PromptTemplate[];
    expect(list.map((p) => [p.stage, p.version, p.custom])).toEqual([
      ['limits', 'builtin@1', false],
      ['scenes', 'builtin@1', false],
      ['experiences', 'builtin@1', false],
      ['protective', 'builtin@1', false],
    ]);
    const shown = await cli(['prompts', 'Beethoven', 'show', 'scenes']);
    expect(shown.out).toContain(`── template\n${list[1]!.template}`);

    const system = path.join(tmp.dir, 'system.txt');
    fs.writeFileSync(system, 'You write scenes of a composer’s life.');
    const template = 'Write {count} scenes of {character} ({era}) from:\n{chunk}\n{format}';
    const saved = await cli(['prompts', 'Beethoven', 'set', 'scenes', '--template', '-', '--system', system], template);
    expect(saved.code, saved.err).toBe(0);
    expect(saved.out).toMatch(/^Saved scenes +custom@1 +custom;/);
    const custom = JSON.parse((await cli(['prompts', 'Beethoven', 'show', 'scenes', '--json'])).out) as PromptTemplate;
    expect(custom).toMatchObject({
      version: 'custom@1',
      custom: true,
      template,
      system: fs.readFileSync(system, 'utf8'),
    });

    // Without --system the system prompt stays; an unknown placeholder saves nothing.
    const file = path.join(tmp.dir, 'template.txt');
    fs.writeFileSync(file, `${template}\nKeep it short.`);
    expect((await cli(['prompts', 'Beethoven', 'set', 'scenes', '--template', file])).code).toBe(0);
    const unknown = await cli(['prompts', 'Beethoven', 'set', 'scenes', '--template', '-'], 'About {nope}');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/Unknown placeholder \{nope\}\. This prompt may use: \{character\}/);
    const second = JSON.parse((await cli(['prompts', 'Beethoven', 'show', 'scenes', '--json'])).out) as PromptTemplate;
    expect(second).toMatchObject({
      version: 'custom@2',
      system: custom.system,
      template: `${template}\nKeep it short.`,
    });

    for (const [args, message] of [
      [['show', 'bogus'], /"bogus" is not a stage\. The stages are: limits, scenes, experiences, protective\./],
      [['set', 'scenes'], /prompts set needs --template <file\|->/],
      [['set', 'scenes', '--template', file, '--system', '-'], /--system takes a file/],
    ] as const) {
      const refused = await cli(['prompts', 'Beethoven', ...args]);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(message);
    }

    const reset = await cli(['prompts', 'Beethoven', 'reset', 'scenes']);
    expect(reset.out).toMatch(/^Back to the built-in prompt: scenes +builtin@1 +built-in;/);
    const back = JSON.parse((await cli(['prompts', 'Beethoven', 'show', 'scenes', '--json'])).out) as PromptTemplate;
    expect(back).toMatchObject({ version: 'builtin@1', custom: false, template: list[1]!.template });
  });
});
