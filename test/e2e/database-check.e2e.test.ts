import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedBrowser } from '../support/shared-browser';
import { damageDeepPage, populateCharacters } from '../support/damaged-database';
import { tempDir, testOutputDir } from '../support/paths';
import { startServe } from '../support/serve';

let browser: Browser;
beforeAll(async () => {
  browser = await sharedBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('Settings → Database', () => {
  it('serves a database damaged deep after a clean close (no full scan at open), and the check button reports it', async () => {
    const data = tempDir('cs-e2e-dbcheck-');
    const file = path.join(data.dir, 'studio.sqlite');
    await (await startServe(data.dir)).stop(); // a studio database, closed cleanly
    populateCharacters(file, 1500);
    const bytes = damageDeepPage(file);
    const serve = await startServe(data.dir);
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    try {
      await page.goto(serve.url);
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      const settings = page.getByRole('dialog', { name: 'Settings' });
      const panel = settings.getByRole('region', { name: 'Database' });
      await panel.getByText(file).waitFor();
      await panel.getByRole('button', { name: 'Check database' }).click();
      const report = panel.getByRole('status', { name: 'Database check' });
      await report.locator('.check-summary', { hasText: 'The database is damaged' }).waitFor();
      expect(await report.locator('.check-problems li').count()).toBeGreaterThan(0);
      await report.getByText('Nothing was changed.').waitFor();
      await report.scrollIntoViewIfNeeded();
      fs.mkdirSync(path.join(testOutputDir, 'screenshots'), { recursive: true });
      await page.screenshot({ path: path.join(testOutputDir, 'screenshots', 'settings-database-check.png') });
      expect(fs.readFileSync(file).subarray(0, 100).equals(bytes.subarray(0, 100))).toBe(true);
    } finally {
      await page.close();
      await serve.stop();
      data.cleanup();
    }
  });
});
