import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliIn } from '../../support/cli';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';

/** `providers test` on options, before `providers add` (issue #8, point 10: the CLI face). */

let tmp: ReturnType<typeof tempDir>;
let server: FakeLlmServer;
beforeEach(async () => {
  tmp = tempDir('cs-cli-providers-');
  server = await startFakeLlmServer({ apiKey: null, models: ['qwen2.5-7b', 'llama3.1:8b'], responder: () => 'OK' });
});
afterEach(async () => {
  tmp.cleanup();
  await server.close();
});

const cli = (args: string[]) => runCliIn(tmp.dir, args);

describe('providers test before add', () => {
  it('lists the models of an endpoint without a model and adds nothing', async () => {
    const listed = await cli(['providers', 'test', '--preset', 'custom', '--base-url', server.baseURL]);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('Models offered: qwen2.5-7b, llama3.1:8b');
    expect(server.requests.filter((r) => r.chat !== null)).toHaveLength(0);
    expect((await cli(['providers', 'list'])).out).toMatch(/^No providers yet/);

    const tried = await cli(['providers', 'test', '--base-url', server.baseURL, '--model', 'llama3.1:8b', '--json']);
    expect(tried.code).toBe(0);
    expect(JSON.parse(tried.out)).toMatchObject({ ok: true, models: ['qwen2.5-7b', 'llama3.1:8b'] });
  });

  it('exits 1 with the reason when nothing answers', async () => {
    await server.close();
    const failed = await cli(['providers', 'test', '--base-url', server.baseURL]);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/✗ list-models/);
  });
});

describe('providers update, delete and prices', () => {
  it('changes only the options given, forgets a provider with its key, and sets a model’s price', async () => {
    const base = ['--preset', 'custom', '--base-url', server.baseURL, '--model', 'qwen2.5-7b'];
    expect((await cli(['providers', 'add', '--name', 'Local', ...base, '--api-key', 'sk-local-123456'])).code).toBe(0);
    const nothing = await cli(['providers', 'update', 'Local']);
    expect(nothing.code).toBe(2);
    expect(nothing.err).toMatch(/Say what to change: --name, --base-url/);

    const updated = await cli(['providers', 'update', 'Local', '--model', 'llama3.1:8b', '--rpm', '30', '--json']);
    expect(updated.code, updated.err).toBe(0);
    expect(JSON.parse(updated.out)).toMatchObject({
      name: 'Local',
      model: 'llama3.1:8b',
      requestsPerMinute: 30,
      maxConcurrency: 4,
      hasApiKey: true,
      structuredOutput: true,
    });
    const bad = await cli(['providers', 'update', 'Local', '--concurrency', '0']);
    expect(bad.code).toBe(1);
    const renamed = await cli([
      'providers',
      'update',
      'Local',
      '--name',
      'Box',
      '--api-key',
      '',
      '--text-output',
      '--json',
    ]);
    expect(JSON.parse(renamed.out)).toMatchObject({
      name: 'Box',
      model: 'llama3.1:8b',
      hasApiKey: false,
      structuredOutput: false,
    });
    expect((await cli(['providers', 'list'])).out).toMatch(/^Box — custom, llama3\.1:8b at \S+ \(text output\) {2}\[/m);
    const both = await cli(['providers', 'update', 'Box', '--text-output', '--structured-output']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/Give --text-output or --structured-output, not both\./);
    const back = await cli(['providers', 'update', 'Box', '--structured-output', '--json']);
    expect(JSON.parse(back.out)).toMatchObject({ name: 'Box', structuredOutput: true });

    const price = await cli([
      'providers',
      'price',
      'llama3.1:8b',
      '--prompt-price',
      '0.2',
      '--completion-price',
      '0.6',
    ]);
    expect(price.code, price.err).toBe(0);
    expect(price.out).toMatch(/llama3\.1:8b +0\.2 +0\.6/);
    expect((await cli(['providers', 'prices'])).out).toMatch(/llama3\.1:8b +0\.2 +0\.6/);
    const badPrice = await cli([
      'providers',
      'price',
      'llama3.1:8b',
      '--prompt-price',
      'free',
      '--completion-price',
      '1',
    ]);
    expect(badPrice.code).toBe(2);
    expect(badPrice.err).toMatch(/--prompt-price takes US dollars per million tokens \(e\.g\. 0\.15\), not "free"/);

    expect((await cli(['providers', 'delete', 'Box'])).err).toMatch(
      /This deletes the provider Box and its stored API key .* Add --yes/,
    );
    const deleted = await cli(['providers', 'delete', 'Box', '--yes']);
    expect(deleted.out).toBe('Deleted provider Box (its stored API key too).');
    expect((await cli(['providers', 'list'])).out).toMatch(/^No providers yet/);
  });
});
