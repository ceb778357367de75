import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { ConnectionCheck, Provider } from '../../common/contract';
import { readPartial } from '../../main/core/models/model-download';
import { startModelServer, type ModelServer } from '../support/model-server';
import { startServe } from '../support/serve';
import { pageInvoke, useServePage } from '../support/serve-page';
import { buildTinyGguf } from '../support/tiny-gguf';

/**
 * Settings › Models (issue 13, point 6) in Chromium against `serve`: models of the curated list
 * download from a local server standing in for Hugging Face (CHARACTER_STUDIO_MODEL_BASE_URL). The
 * list pins most files' sha256, so the stand-in's files (a tiny GGUF) are refused for those rows;
 * SmolLM2, which no public source pins, is checked against the host's sha256 and downloads.
 */
const session = useServePage('cs-e2e-models-');
const SMOL = 'Model SmolLM2 1.7B Instruct (Q4_K_M)';
const PIECE = 5 * 1024 * 1024;

/** `serve` again on the same data folder, its downloads pointed at `server`. */
async function serveAgainst(server: ModelServer): Promise<() => void> {
  const saved = process.env.CHARACTER_STUDIO_MODEL_BASE_URL;
  process.env.CHARACTER_STUDIO_MODEL_BASE_URL = server.baseUrl;
  await session.serve.stop();
  session.serve = await startServe(session.data.dir);
  await session.page.goto(session.serve.url);
  await session.page.getByRole('button', { name: 'Settings', exact: true }).click();
  return () => {
    if (saved === undefined) delete process.env.CHARACTER_STUDIO_MODEL_BASE_URL;
    else process.env.CHARACTER_STUDIO_MODEL_BASE_URL = saved;
  };
}

describe('Settings › Models', () => {
  it('refuses a pinned model the host serves otherwise, downloads an unpinned one, and it answers', async () => {
    const server = await startModelServer({ body: buildTinyGguf() });
    const restore = await serveAgainst(server);
    try {
      const { page } = session;
      const qwen = page.getByRole('listitem', { name: 'Model Qwen2.5 0.5B Instruct (Q4_K_M)' });
      await qwen.getByText('sha256 pinned (6eb923e7d26e…), commit b26a58a').waitFor();
      await qwen.getByRole('button', { name: 'Download' }).click();
      await qwen
        .getByText(/offers a Qwen2\.5-0\.5B-Instruct-Q4_K_M\.gguf that is not the file the list pins/)
        .waitFor();
      expect(server.requests.filter((r) => r.method === 'GET')).toEqual([]);

      const row = page.getByRole('listitem', { name: SMOL });
      await row.getByText('no published sha256 found: checked against the host’s checksum').waitFor();
      await row.getByRole('button', { name: 'Download' }).click();
      await row.getByText('Downloaded').waitFor();
      const local = page.getByRole('listitem', { name: 'Local model SmolLM2 1.7B Instruct (Q4_K_M)' });
      await local.getByText('sha256 checked against the server’s').waitFor();
      await qwen.scrollIntoViewIfNeeded();
      await session.shot('models-01-downloaded');
      await local.getByRole('button', { name: 'Use for generation and chat' }).click();
      await local.getByText('In use').waitFor();
      const [provider] = await pageInvoke<Provider[]>(page, 'providers/list', {});
      expect(provider).toMatchObject({ preset: 'embedded', kind: 'embedded' });
      expect(provider!.modelPath).toMatch(/models\/smollm2-1\.7b-instruct-q4_k_m\.gguf$/);
      // The embedded runtime loads the downloaded file and completes with it.
      const check = await pageInvoke<ConnectionCheck>(page, 'providers/test', { id: provider!.id });
      expect(check.ok).toBe(true);
    } finally {
      restore();
      await server.close();
    }
  });

  it('Cancel stops a download and keeps its pieces; Resume continues from them', async () => {
    // Three 5 MB pieces; the third hangs until released.
    const body = Buffer.concat([buildTinyGguf(), Buffer.alloc(12 * 1024 * 1024, 7)]);
    const server = await startModelServer({ body, holdAt: 2 * PIECE + 4096 });
    const restore = await serveAgainst(server);
    try {
      const { page } = session;
      const dir = path.join(session.data.dir, 'models');
      const row = page.getByRole('listitem', { name: SMOL });
      await row.getByRole('button', { name: 'Download' }).click();
      await row.getByRole('progressbar', { name: 'Downloading SmolLM2 1.7B Instruct (Q4_K_M)' }).waitFor();
      await server.held;
      await vi.waitFor(
        () => expect(readPartial(dir, 'smollm2-1.7b-instruct-q4_k_m.gguf')?.downloadedBytes).toBe(2 * PIECE),
        { timeout: 20_000 },
      );
      await session.shot('models-02-downloading');
      await row.getByRole('button', { name: 'Cancel' }).click();
      await row
        .getByRole('status')
        .getByText('Stopped at 10 MB of 13 MB: what was fetched is kept, and Resume continues from there.')
        .waitFor();
      await expect(row.locator('.form-error').count()).resolves.toBe(0);
      await session.shot('models-03-stopped');
      expect(fs.existsSync(path.join(dir, 'smollm2-1.7b-instruct-q4_k_m.gguf'))).toBe(false);
      expect(await pageInvoke<{ local: unknown[] }>(page, 'models/list', {})).toMatchObject({ local: [] });

      server.release();
      const before = server.requests.length;
      await row.getByRole('button', { name: 'Resume download' }).click();
      await row.getByText('Downloaded').waitFor();
      const ranged = server.requests.slice(before).filter((r) => r.method === 'GET' && r.range !== null);
      expect(ranged.length).toBeGreaterThan(0);
      for (const get of ranged) expect(Number(/^bytes=(\d+)-/.exec(get.range!)![1])).toBeGreaterThanOrEqual(2 * PIECE);
      expect(fs.readFileSync(path.join(dir, 'smollm2-1.7b-instruct-q4_k_m.gguf')).equals(body)).toBe(true);
    } finally {
      restore();
      await server.close();
    }
  });
});
