import { describe, expect, it } from 'vitest';
import type { ConnectionCheck, Provider } from '../../common/contract';
import { startModelServer } from '../support/model-server';
import { startServe } from '../support/serve';
import { pageInvoke, useServePage } from '../support/serve-page';
import { buildTinyGguf } from '../support/tiny-gguf';

/**
 * Settings › Models (issue 13, point 6) in Chromium against `serve`: a model of the curated list
 * downloads from a local server standing in for Hugging Face (CHARACTER_STUDIO_MODEL_BASE_URL),
 * becomes an embedded provider in one click, and that provider generates on this computer.
 */
const session = useServePage('cs-e2e-models-');

describe('Settings › Models', () => {
  it('downloads a listed model, uses it for generation and chat, and it answers', async () => {
    const server = await startModelServer({ body: buildTinyGguf() });
    const saved = process.env.CHARACTER_STUDIO_MODEL_BASE_URL;
    process.env.CHARACTER_STUDIO_MODEL_BASE_URL = server.baseUrl;
    try {
      await session.serve.stop();
      session.serve = await startServe(session.data.dir);
      const { page } = session;
      await page.goto(session.serve.url);
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      const row = page.getByRole('listitem', { name: 'Model Qwen2.5 0.5B Instruct (Q4_K_M)' });
      await row.getByRole('button', { name: 'Download' }).click();
      await row.getByText('Downloaded').waitFor();
      const local = page.getByRole('listitem', { name: 'Local model Qwen2.5 0.5B Instruct (Q4_K_M)' });
      await local.getByText('sha256 checked against the server’s').waitFor();
      await local.scrollIntoViewIfNeeded();
      await session.shot('models-01-downloaded');
      await local.getByRole('button', { name: 'Use for generation and chat' }).click();
      await local.getByText('In use').waitFor();
      const [provider] = await pageInvoke<Provider[]>(page, 'providers/list', {});
      expect(provider).toMatchObject({ preset: 'embedded', kind: 'embedded' });
      expect(provider!.modelPath).toMatch(/models\/qwen2\.5-0\.5b-instruct-q4_k_m\.gguf$/);
      // The embedded runtime loads the downloaded file and completes with it.
      const check = await pageInvoke<ConnectionCheck>(page, 'providers/test', { id: provider!.id });
      expect(check.ok).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.CHARACTER_STUDIO_MODEL_BASE_URL;
      else process.env.CHARACTER_STUDIO_MODEL_BASE_URL = saved;
      await server.close();
    }
  });
});
