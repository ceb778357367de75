import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { fixture, testOutputDir } from '../support/paths';
import { runBuiltCli } from '../support/serve';
import { useServePage } from '../support/serve-page';
import { studioResponder } from '../support/studio-responder';

const shots = path.join(testOutputDir, 'screenshots');

const session = useServePage('cs-e2e-presets-', { width: 1360, height: 900 });
let llm: FakeLlmServer;

/** The built CLI against the test's data folder; fails the test with its messages. */
const cli = (...args: string[]) => runBuiltCli(session.data.dir, ...args);

// Beethoven, his profile and the fake provider, written by the CLI beside the running `serve`.
beforeEach(async () => {
  llm = await startFakeLlmServer({ responder: studioResponder({ othersThinkEvery: 2 }) });
  await cli('characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven');
  await cli('profiles', 'import', 'Beethoven', fixture('wiki_Beethoven.txt'));
  await cli(
    'providers',
    'add',
    '--name',
    'Fake LLM',
    '--preset',
    'custom',
    '--base-url',
    llm.baseURL,
    '--model',
    'fake-model',
    '--api-key',
    'test-key',
  );
});
afterEach(async () => {
  await llm?.close();
});

describe('generation presets and format problems in a browser', () => {
  it("shows the paper's plan in the form and the estimate, and the experiences that did not fit the format", async () => {
    const { page, serve } = session;
    // A small run first (studio plan, through the CLI), where every second experience breaks the format.
    await cli(
      'generate',
      'Beethoven',
      '--provider',
      'Fake LLM',
      '--target',
      '4',
      '--per-call',
      '4',
      '--protective',
      '0',
    );

    await page.goto(serve.url);
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Generate' }).click();
    await page.getByLabel('Plan').selectOption('paper');
    const rules = page.getByLabel('What the plan does');
    await expect.poll(() => rules.textContent(), { timeout: 15_000 }).toMatch(/100 scene calls of 20 scenes/);
    await expect.poll(() => page.getByTestId('estimate-scenes').textContent()).toMatch(/1,400–1,900/);
    expect(await page.getByLabel('Target scenes').count()).toBe(0);
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'presets-10-paper-plan.png'), fullPage: true });

    await page.getByRole('tab', { name: 'Dataset' }).click();
    await page.getByRole('button', { name: /^Filters/ }).click();
    await page.getByRole('radio', { name: /Problems/ }).click();
    await expect.poll(() => page.getByTestId('scene-item').count()).toBe(2);
    await page.getByTestId('scene-item').first().click();
    await page.getByLabel('Format problems').waitFor();
    expect(await page.locator('.transcript .turn.flagged').textContent()).toContain('He has not practised.');
    await page.screenshot({ path: path.join(shots, 'presets-20-dataset-problems.png'), fullPage: true });
  });
});
