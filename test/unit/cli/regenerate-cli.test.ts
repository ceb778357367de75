import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliIn } from '../../support/cli';
import { heldCall, type HeldCall } from '../../support/gate';
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

/** The rewrite held at the server, when a test holds one. */
let held: HeldCall | null = null;
function holdRewrite(): HeldCall {
  held = heldCall();
  return held;
}

beforeAll(async () => {
  tmp = tempDir('cs-cli-regenerate-');
  const generate = studioResponder();
  server = await startFakeLlmServer({
    responder: async (req) => {
      const schema = (req.response_format as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
      if (schema === 'turn') return JSON.stringify({ speaker: 'Beethoven', kind: 'speaking', text: 'I will not!' });
      const user = req.messages.at(-1)?.content ?? '';
      if (held && /Rewrite this whole interaction/.test(user)) {
        held.arrive();
        await held.released;
      }
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

  it('keeps the rewrite of a scene saved meanwhile as a proposal, which the CLI lists, compares and adopts', async () => {
    const id = sceneIds()[1]!;
    // The revision the rewrite starts from (as scenes history numbers them); the edit is the next.
    const n = (await cli('scenes', 'history', id)).out.split('\n').length;
    const gate = holdRewrite();
    const running = cli('scenes', 'regenerate', id, '--instruction', 'sadder');
    await gate.entered;
    // Another terminal saves an edit while the call is out.
    const shown = JSON.parse((await cli('scenes', 'show', id, '--json')).out) as { doc: { location: string } };
    shown.doc.location = 'The Kärntnertor theatre';
    const edited = await runCliIn(tmp.dir, ['scenes', 'edit', id, '-'], JSON.stringify(shown));
    expect(edited.code, edited.err).toBe(0);
    held = null;
    gate.release();
    const done = await running;
    expect(done.code, done.err).toBe(0);
    expect(done.err).toContain('1 scene(s) not rewritten in place: each rewrite waits as a proposal');

    const listed = await cli('scenes', 'proposals', id);
    expect(listed.out).toMatch(
      new RegExp(`^1 {2}\\S+ {2}waiting {2}rewrite of the experience \\("sadder"\\) from revision ${n} · call \\S+$`),
    );
    const compared = await cli('scenes', 'diff', id, '--proposal', '1');
    expect(compared.code, compared.err).toBe(0);
    expect(compared.out).toMatch(new RegExp(`^Revision ${n + 1} → proposal 1 \\("sadder"\\)\n`));
    expect(compared.out).toMatch(/\[-.+-\]|\{\+.+\+\}/);
    const both = await cli('scenes', 'diff', id, '--proposal', '1', '--from', '1');
    expect(both.code).toBe(2);
    expect(both.err).toContain('--proposal compares the proposal with the current revision');

    const adopted = await cli('scenes', 'adopt', id);
    expect(adopted.code, adopted.err).toBe(0);
    expect(adopted.out).toBe(`Adopted the proposal ("sadder") as revision ${n + 2}.`);
    // The edit that made it a proposal stays: a rewrite writes the experience only.
    expect((await cli('scenes', 'show', id)).out).toMatch(
      new RegExp(`^Revision ${n + 2}\n.* · The Kärntnertor theatre`),
    );
    expect((await cli('scenes', 'history', id)).out).toMatch(
      new RegExp(`\n${n + 2} .* rewritten by the LLM \\("sadder"\\)`),
    );
    expect((await cli('scenes', 'proposals', id)).out).toMatch(
      new RegExp(`^1 {2}\\S+ {2}adopted as revision ${n + 2} {2}`),
    );
    const again = await cli('scenes', 'adopt', id);
    expect(again.code).toBe(2);
    expect(again.err).toContain(`Scene ${id} has no proposal waiting (see scenes proposals).`);
    const beyond = await cli('scenes', 'adopt', id, '--proposal', '2');
    expect(beyond.err).toContain(`--proposal 2: scene ${id} has proposals 1 to 1 (see scenes proposals).`);
    expect((await cli('scenes', 'proposals', sceneIds()[2]!)).out).toMatch(/has no proposals/);
  });

  it('says what is missing', async () => {
    const noInstruction = await cli('scenes', 'regenerate', sceneIds()[0]!);
    expect(noInstruction.err).toMatch(/--instruction "make him angrier"/);
    const badTurn = await cli('scenes', 'regenerate', sceneIds()[0]!, '--instruction', 'x', '--turn', '0');
    expect(badTurn.err).toMatch(/--turn takes a turn number from 1/);
  });
});
