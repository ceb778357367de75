import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliIn } from '../../support/cli';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { fixture, tempDir } from '../../support/paths';
import { studioResponder } from '../../support/studio-responder';

let tmp: ReturnType<typeof tempDir>;
let server: FakeLlmServer;
beforeEach(async () => {
  tmp = tempDir('cs-cli-gen-');
  server = await startFakeLlmServer({ responder: studioResponder() });
});
afterEach(async () => {
  await server.close();
  tmp.cleanup();
});

const cli = (...args: string[]) => runCliIn(tmp.dir, args);

function count(sql: string): number {
  const db = new Database(path.join(tmp.dir, 'studio.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('character-studio generate', () => {
  it('treats the target as the total, adds with --more, remembers the values, and asks before a costly run', async () => {
    await cli('characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven');
    await cli('profiles', 'import', 'Beethoven', fixture('wiki_Beethoven.txt'));
    const base = ['--base-url', server.baseURL, '--model', 'fake-model', '--api-key', 'test-key'];
    expect((await cli('providers', 'add', '--name', 'Fake', '--preset', 'custom', ...base)).code).toBe(0);
    const args = ['generate', 'Beethoven', '--target', '6', '--per-call', '3', '--protective', '0'];
    expect((await cli(...args, '--provider', 'Fake')).code).toBe(0);
    expect(count('SELECT count(*) FROM scenes')).toBe(6);

    const again = await cli(...args, '--provider', 'Fake');
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/already has 6 scenes.*Nothing to do; use --more N/s);
    expect(count('SELECT count(*) FROM jobs')).toBe(1);
    expect(count('SELECT count(*) FROM scenes')).toBe(6);

    // No options but --more: the last values and provider hold.
    expect((await cli('generate', 'Beethoven', '--more', '3')).code).toBe(0);
    expect(count('SELECT count(*) FROM scenes')).toBe(9);
    expect(count('SELECT count(*) FROM experiences')).toBe(9);

    // A priced run above the threshold asks first; without a terminal it refuses and starts nothing.
    expect((await cli('providers', 'add', '--name', 'Paid', '--preset', 'openai', ...base)).code).toBe(0);
    const db = new Database(path.join(tmp.dir, 'studio.sqlite'));
    db.prepare(
      "INSERT INTO model_prices (model, prompt_per_million, completion_per_million, updated_at) VALUES ('fake-model', 1000, 1000, 0)",
    ).run();
    db.close();
    const refused = await cli('generate', 'Beethoven', '--more', '3', '--provider', 'Paid');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /The estimate \(\$[\d.,]+\) is above \$1\.00, the cost that asks first\. Nothing was started: run again with --yes/,
    );
    expect(count('SELECT count(*) FROM jobs')).toBe(2);
    const confirmed = await cli(
      'generate',
      'Beethoven',
      '--more',
      '3',
      '--provider',
      'Paid',
      '--yes',
      '--budget',
      '0.01',
    );
    expect(confirmed.code).toBe(3); // paused at its budget
    expect(confirmed.err).toMatch(/budget of \$0\.01 is spent/);
    // A re-run naming another provider or target would not change the paused job: refused, saying so.
    const other = await cli('generate', 'Beethoven', '--provider', 'Fake', '--target', '30');
    expect(other.code).toBe(2);
    expect(other.err).toMatch(
      /has a paused generation job \(\d+\/\d+ done, on Paid\); a resumed job keeps the settings it started with, so --provider, --target would not apply\. .*jobs cancel/,
    );
    // A percentage where a share is asked for: the share it meant, and nothing started.
    const percent = await cli('generate', 'Beethoven', '--estimate', '--protective', '5');
    expect(percent.code).toBe(2);
    expect(percent.err).toMatch(/--protective is a share from 0 to 0\.2 .*; for 5%, give 0\.05, not 5\./);
    // A re-run resumes the paused job, raising its budget.
    const resumed = await cli('generate', 'Beethoven', '--budget', '1000');
    expect(resumed.err).toMatch(/Budget set to \$1,000/);
    expect(resumed.err).toMatch(/Resuming the paused job/);
    expect(resumed.code).toBe(0);
    expect(count('SELECT count(*) FROM scenes')).toBe(12);
  });
});
