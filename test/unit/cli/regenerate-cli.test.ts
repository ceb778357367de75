import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliIn } from '../../support/cli';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { generateWithCli } from '../../support/cli-dataset';
import { tempDir } from '../../support/paths';
import { studioResponder } from '../../support/studio-responder';

// `character-studio scenes regenerate`: one scene, one turn, and every scene of a filter, through
// the real studio and the fake LLM server; each rewrite is a revision listed by `scenes history`.

let tmp: ReturnType<typeof tempDir>;
let server: FakeLlmServer;

const cli = (...args: string[]) => runCliIn(tmp.dir, args);

function sceneIds(): string[] {
  const db = new Database(path.join(tmp.dir, 'studio.sqlite'), { readonly: true });
  try {
    return db
      .prepare('SELECT id FROM scenes WHERE protective = 0 ORDER BY created_at, rowid')
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  tmp = tempDir('cs-cli-regenerate-');
  const generate = studioResponder();
  server = await startFakeLlmServer({
    responder: (req) => {
      const schema = (req.response_format as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
      if (schema === 'turn') return JSON.stringify({ speaker: 'Beethoven', kind: 'speaking', text: 'I will not!' });
      return generate(req);
    },
  });
  await generateWithCli(cli, server.baseURL, { target: 4, perCall: 2 });
}, 60_000);
afterAll(async () => {
  await server?.close();
  tmp?.cleanup();
});

describe('character-studio scenes regenerate', () => {
  it('rewrites a scene and one turn as new revisions, with the instruction in the history', async () => {
    const [id] = sceneIds();
    const whole = await cli('scenes', 'regenerate', id!, '--instruction', 'make him angrier');
    expect(whole.code, whole.err).toBe(0);
    expect(whole.err).toMatch(/Rewriting the experience of 1 scene: "make him angrier"/);
    expect(whole.err).toMatch(/\[succeeded\]/);

    const turn = await cli('scenes', 'regenerate', id!, '--instruction', 'refuse', '--turn', '2', '--provider', 'Fake');
    expect(turn.code, turn.err).toBe(0);
    const shown = await cli('scenes', 'show', id!);
    expect(shown.out).toMatch(/^2\. Beethoven \(speaking\): I will not!$/m);
    const history = await cli('scenes', 'history', id!);
    expect(history.out).toMatch(/rewritten by the LLM \("make him angrier"\) · prompt builtin@\d+\+regenerate@1/);
    expect(history.out).toMatch(/rewritten by the LLM \("refuse"\)/);
  });

  it('asks for --yes before rewriting every scene of a filter, then runs one job', async () => {
    const refused = await cli(
      'scenes',
      'regenerate',
      '--character',
      'Beethoven',
      '--status',
      'unreviewed',
      '--instruction',
      'x',
    );
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/This rewrites \d+ scenes \(one LLM call each\); add --yes/);
    const done = await cli(
      'scenes',
      'regenerate',
      '--character',
      'Beethoven',
      '--status',
      'unreviewed',
      '--instruction',
      'quieter',
      '--yes',
      '--json',
    );
    expect(done.code, done.err).toBe(0);
    const job = JSON.parse(done.out) as { kind: string; total: number; done: number };
    expect(job).toMatchObject({ kind: 'regenerate', total: sceneIds().length, done: sceneIds().length });
  });

  it('says what is missing', async () => {
    const noInstruction = await cli('scenes', 'regenerate', sceneIds()[0]!);
    expect(noInstruction.err).toMatch(/--instruction "make him angrier"/);
    const badTurn = await cli('scenes', 'regenerate', sceneIds()[0]!, '--instruction', 'x', '--turn', '0');
    expect(badTurn.err).toMatch(/--turn takes a turn number from 1/);
  });
});
