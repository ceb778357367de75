import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli/main';
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

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, '--data-dir', tmp.dir], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    stdin: () => Promise.resolve(Buffer.alloc(0)),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

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
