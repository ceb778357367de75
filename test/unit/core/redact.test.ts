/**
 * API keys never reach storage or output: the redactor over every encoding, then a whole
 * generation through the CLI against a server whose error body echoes the key in base64, upper
 * case, hex, URL-encoded and inside Basic credentials.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Studio } from '../../../main/core/studio';
import { FileSecretStore } from '../../../main/core/providers/secret-store';
import { MASK, redactSecrets, SecretRedactor } from '../../../main/core/redact';
import { cpuMsOf } from '../../support/ceilings';
import { runCliIn } from '../../support/cli';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';
import { call } from '../../support/studio';

const KEY = 'sk-proj-Zx81_kd9QmA7vT2bLw0eRc5yHn3uJp';

/** Every way the tests below see a key written. */
function encodings(key: string): string[] {
  const upper = key.toUpperCase();
  return [
    key,
    upper,
    key.toLowerCase(),
    Buffer.from(key).toString('base64'),
    Buffer.from(key).toString('base64url'),
    Buffer.from(upper).toString('base64'),
    Buffer.from(key).toString('hex'),
    Buffer.from(key).toString('hex').toUpperCase(),
    encodeURIComponent(key),
    Buffer.from(`user:${key}`).toString('base64'),
  ];
}

/** Whether `text` still holds `key` in any encoding the tests know, decoding base64 at every alignment. */
function leaks(text: string, key: string): boolean {
  const lower = text.toLowerCase();
  if (encodings(key).some((form) => lower.includes(form.toLowerCase()))) return true;
  for (const run of text.match(/[A-Za-z0-9+/_-]{12,}/g) ?? []) {
    for (let shift = 0; shift < 4; shift++) {
      const decoded = Buffer.from(run.slice(shift).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
      if (decoded.toLowerCase().includes(key.toLowerCase())) return true;
    }
  }
  return false;
}

describe('the redactor', () => {
  it('masks a key written plainly, in any case, base64 (at any alignment), base64url, hex and URL-encoded', () => {
    for (const form of encodings(KEY)) {
      for (const prefix of ['', 'a', 'ab', 'abc', 'Basic ']) {
        const text = `error: ${prefix}${form} was refused`;
        const out = redactSecrets(text, [KEY]);
        expect(leaks(out, KEY), `${form} after "${prefix}" → ${out}`).toBe(false);
        expect(out).toContain(MASK);
      }
    }
    // Inside one longer base64 run, whatever the byte offset of the key in it.
    for (let pad = 0; pad < 6; pad++) {
      const blob = Buffer.from(`${'x'.repeat(pad)}Authorization: Bearer ${KEY}; more`).toString('base64');
      expect(leaks(redactSecrets(blob, [KEY]), KEY)).toBe(false);
    }
  });

  it('leaves other text alone, masks short secrets only as written, and follows the configured keys', () => {
    const text = 'The model refused: please check your quota and the base URL (HTTP 429).';
    expect(redactSecrets(text, [KEY])).toBe(text);
    expect(redactSecrets('pin 1234 and 12345', ['1234'])).toBe('pin *** and ***5');
    expect(redactSecrets('abc', ['ab'])).toBe('abc');

    const keys: string[] = [];
    const redactor = new SecretRedactor(() => keys);
    expect(redactor.redact(`key ${KEY}`)).toBe(`key ${KEY}`);
    keys.push(KEY);
    expect(redactor.redact(`key ${KEY.toUpperCase()}`)).toBe(`key ${MASK}`);
    expect(redactor.redactValue({ a: [`x ${KEY}`], n: 3 })).toEqual({ a: [`x ${MASK}`], n: 3 });
  });

  it('stays fast on long text', async () => {
    const text = `${'word '.repeat(200_000)}${Buffer.from(KEY).toString('base64')}`;
    let redacted = '';
    // CPU time, not wall time, so a loaded machine cannot trip it.
    const ms = await cpuMsOf(() => (redacted = redactSecrets(text, [KEY, 'another-secret-value-123'])));
    expect(leaks(redacted, KEY)).toBe(false);
    expect(ms).toBeLessThan(2_000);
  });
});

describe('a server echoing the key', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: FakeLlmServer;
  beforeEach(async () => {
    tmp = tempDir('cs-redact-');
    server = await startFakeLlmServer({ apiKey: KEY });
  });
  afterEach(async () => {
    await server.close();
    tmp.cleanup();
  });

  const cli = (args: string[], stdin = ''): ReturnType<typeof runCliIn> => runCliIn(tmp.dir, args, stdin);

  it('stores and prints none of its encodings, in the call log, the work item or the job', async () => {
    const printed: string[] = [];
    const run = async (args: string[], stdin = ''): Promise<number> => {
      const result = await cli(args, stdin);
      printed.push(result.out, result.err);
      return result.code;
    };
    expect(await run(['characters', 'create', '--full-name', 'Ada Lovelace', '--short-name', 'Ada'])).toBe(0);
    const profile = 'Ada Lovelace wrote the first published program.\n\nShe worked with Charles Babbage.';
    expect(await run(['profiles', 'import', 'Ada', '-', '--title', 'Life'], profile)).toBe(0);
    const add = ['providers', 'add', '--name', 'Echo', '--preset', 'custom', '--base-url', server.baseURL];
    expect(await run([...add, '--model', 'fake-model', '--api-key', KEY])).toBe(0);

    // Every attempt answers 401 with the key echoed: the job stops on the first, with the reason.
    server.enqueueFaults(...Array.from({ length: 20 }, () => ({ kind: 'echo_key' as const })));
    const generated = await cli(['generate', 'Ada', '--provider', 'Echo', '--target', '2', '--per-call', '2']);
    printed.push(generated.out, generated.err);
    expect(generated.code).toBe(1);
    expect(generated.err).toMatch(/rejected the API key \(HTTP 401\): Key \*\*\*/);
    expect(server.requests.some((r) => r.fault?.kind === 'echo_key')).toBe(true);

    const db = new Database(path.join(tmp.dir, 'studio.sqlite'), { readonly: true });
    const stored = [
      ...(db.prepare('SELECT error, response FROM llm_calls').all() as Record<string, string | null>[]),
      ...(db.prepare('SELECT error FROM job_items WHERE error IS NOT NULL').all() as Record<string, string>[]),
      ...(db.prepare('SELECT message FROM jobs').all() as Record<string, string | null>[]),
    ].flatMap((row) => Object.values(row).filter((v): v is string => typeof v === 'string'));
    db.close();
    expect(stored.filter((text) => text.includes('Key ***')).length).toBeGreaterThanOrEqual(3);
    for (const text of [...stored, ...printed]) expect(leaks(text, KEY), text).toBe(false);
    // Nothing else in the data folder holds it either, but the private secrets file.
    for (const name of fs.readdirSync(tmp.dir).filter((n) => n.startsWith('studio.sqlite'))) {
      expect(leaks(fs.readFileSync(path.join(tmp.dir, name), 'latin1'), KEY), name).toBe(false);
    }
  });
});

describe('the studio’s redactor and the shared secret file (issue 9, point 1)', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const draft = (name: string, apiKey: string) => ({
    name,
    preset: 'custom' as const,
    baseUrl: 'http://127.0.0.1:9/v1',
    model: 'm',
    modelPath: '',
    apiKey,
    maxConcurrency: 4,
    requestsPerMinute: 0,
    timeoutMs: 5000,
    structuredOutput: true,
  });

  it('looks at the secret file at most once a second, sees its own writes at once, and follows keys another studio adds or removes', async () => {
    const secretsFile = path.join(tmp.dir, 'secrets.json');
    // `serve`'s store on a clock the test moves; the CLI beside it shares the file.
    let now = 0;
    const serve = new Studio({
      dataDir: tmp.dir,
      door: 'cli',
      version: 'test',
      secrets: new FileSecretStore(secretsFile, undefined, { now: () => now }),
    });
    const cli = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test' });
    try {
      await call(serve, 'providers/create', draft('First', KEY));
      expect(serve.redact(`answer: ${KEY}`)).toBe(`answer: ${MASK}`);
      const stats = vi.spyOn(fs, 'statSync');
      const reads = vi.spyOn(fs, 'readFileSync');
      const looksAtSecrets = (spy: typeof stats | typeof reads) =>
        spy.mock.calls.filter(([file]) => file === secretsFile).length;
      for (let i = 0; i < 50; i++) expect(serve.redact(`answer ${i}: ${KEY}`)).toBe(`answer ${i}: ${MASK}`);
      expect(looksAtSecrets(reads)).toBe(0);
      expect(looksAtSecrets(stats)).toBe(0);

      // A key this studio stores is hidden at once.
      const own = 'sk-own-Lk4Jh6Gf8Ds0Aq2';
      await call(serve, 'providers/create', draft('Own', own));
      expect(serve.redact(`echo ${own}`)).toBe(`echo ${MASK}`);

      // Another process sharing the folder (the CLI beside `serve`) adds a key, then removes the
      // first: seen once a second has passed since the file was last looked at.
      const second = 'sk-second-Q7w3Er9Ty1Ui5Op';
      await call(cli, 'providers/create', draft('Second', second));
      now += 1_000;
      expect(serve.redact(`echo ${second}`)).toBe(`echo ${MASK}`);
      const first = (await call(cli, 'providers/list', {})).find((p) => p.name === 'First')!;
      await call(cli, 'providers/delete', { id: first.id });
      now += 1_000;
      expect(serve.redact(`echo ${KEY}`)).toBe(`echo ${KEY}`);
      expect(serve.redact(`echo ${second}`)).toBe(`echo ${MASK}`);
      expect(serve.redact(`echo ${own}`)).toBe(`echo ${MASK}`);
      stats.mockRestore();
      reads.mockRestore();
    } finally {
      cli.close();
      serve.close();
    }
  });
});
