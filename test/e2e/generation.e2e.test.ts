import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { animationsSettled } from '../support/browser';
import { startFakeLlmServer, type FakeLlmServer, type FakeResponder } from '../support/fake-llm-server';
import { gate } from '../support/gate';
import { fixture, testOutputDir } from '../support/paths';
import { useServePage } from '../support/serve-page';
import { studioResponder } from '../support/studio-responder';

const shots = path.join(testOutputDir, 'screenshots');

const session = useServePage('cs-e2e-gen-', { width: 1360, height: 900 });
let llm: FakeLlmServer;
/** Shut while the test pauses and resumes the run, so the run is certainly mid-way when it does. */
const answers = gate();

async function shot(name: string, target: Page | Locator = session.page) {
  fs.mkdirSync(shots, { recursive: true });
  await animationsSettled(session.page); // progress bars ease to their value
  await target.screenshot({ path: path.join(shots, `${name}.png`) });
}

beforeEach(async () => {
  // Slow enough per call that a person (and this test) can watch and pause the run.
  llm = await startFakeLlmServer({
    apiKey: 'test-key',
    models: ['fake-model', 'fake-model-large'],
    responder: withGate(studioResponder()),
    latencyMs: 250,
  });
});
afterEach(async () => {
  answers.open();
  await llm?.close();
});

function withGate(answer: FakeResponder): FakeResponder {
  return async (req, index) => {
    await answers.passed();
    return answer(req, index);
  };
}

describe('experience construction in a browser against serve and an OpenAI-compatible server', () => {
  it('adds a provider, estimates, runs, pauses and resumes a job, and traces a scene to its LLM call', async () => {
    const { page, serve } = session;
    await page.goto(serve.url);
    await page.getByRole('button', { name: 'Create your first character' }).click();
    await page.getByLabel('Full name').fill('Ludwig van Beethoven');
    await page.getByLabel('Era or dates').fill('1770–1827, Bonn and Vienna');
    await page.getByRole('button', { name: 'Create character' }).click();
    await page.getByRole('button', { name: '+ Add profile' }).click();
    await page.getByLabel('Profile file').setInputFiles(fixture('wiki_Beethoven.txt'));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 3 }).waitFor();

    // The Generate tab sends the user to Settings while there is no provider.
    await page.getByRole('tab', { name: 'Generate' }).click();
    await page.getByRole('heading', { name: 'Add a provider first' }).waitFor();
    await shot('10-generate-no-provider');
    await page.getByRole('button', { name: 'Open provider settings' }).click();

    const settings = page.getByRole('dialog', { name: 'Settings' });
    await settings.getByRole('button', { name: '+ Add provider' }).click();
    const form = settings.getByRole('form', { name: 'New provider' });
    await form.getByLabel('Preset').selectOption({ label: 'Custom (OpenAI-compatible)' });
    await form.getByLabel(/^Name/).fill('Fake LLM');
    await form.getByLabel(/^Base URL/).fill(llm.baseURL);
    await form.getByLabel(/^Model/).fill('fake-model-large');
    await form.getByLabel(/^API key/).fill('test-key');
    await form.getByLabel(/^Requests at a time/).fill('2');
    await form.getByRole('checkbox', { name: /^Structured output/ }).check();
    await shot('11-provider-form');
    await form.getByRole('button', { name: 'Add provider' }).click();

    const card = settings.getByRole('listitem', { name: 'Provider Fake LLM' });
    await card.getByText('key saved').waitFor();
    // The key is write-only: nothing on the page shows it.
    expect(await page.content()).not.toContain('test-key');
    await card.getByRole('button', { name: 'Test connection' }).click();
    const check = card.getByRole('status', { name: 'Connection check' });
    await check.waitFor();
    expect(await check.getAttribute('class')).toContain('ok');
    await check.getByRole('button', { name: 'fake-model', exact: true }).click();
    await expect
      .poll(() => check.getByRole('button', { name: 'fake-model', exact: true }).getAttribute('aria-pressed'))
      .toBe('true');
    await shot('12-connection-check');

    // A custom endpoint may be a paid gateway: give its model a price so estimates show money.
    await settings.getByLabel('New model').fill('fake-model');
    await settings.getByLabel('Prompt price', { exact: true }).fill('2');
    await settings.getByLabel('Completion price', { exact: true }).fill('6');
    await settings.getByRole('button', { name: 'Add price' }).click();
    await settings.getByLabel('Prompt price for fake-model').waitFor();

    // Editing shows that a key is saved, never the key.
    await card.getByRole('button', { name: 'Edit' }).click();
    const edit = settings.getByRole('form', { name: 'Edit provider' });
    expect(await edit.getByLabel(/^API key/).inputValue()).toBe('');
    await edit.getByText('key saved').waitFor();
    await shot('12b-provider-edit');
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await settings.getByRole('button', { name: 'Close' }).click();

    // Settings for a small run; the estimate follows them.
    const run = page.getByRole('group', { name: 'Generation settings' });
    await run.getByLabel(/^Target scenes/).fill('12');
    await run.getByLabel(/^Scenes per call/).fill('4');
    await run.getByLabel(/^Protective share/).fill('10');
    const estimate = page.getByRole('region', { name: 'Estimate' });
    await expect.poll(() => estimate.getAttribute('aria-busy')).toBe('false');
    await expect.poll(async () => Number(await estimate.getByTestId('estimate-calls').innerText())).toBeGreaterThan(3);
    await expect.poll(() => estimate.getByTestId('estimate-cost').innerText()).toMatch(/^≈ \$0\.\d+$/);
    await shot('13-generate-estimate');

    // A bad value is named before anything is sent.
    await run.getByLabel(/^Protective share/).fill('40');
    await run.getByText('Protective share must be between 0 and 20.').waitFor();
    expect(await page.getByRole('button', { name: 'Start generation' }).isDisabled()).toBe(true);
    await run.getByLabel(/^Protective share/).fill('10');

    // No answer comes until the run has been paused and resumed: however fast the machine, the
    // run is mid-way when Pause is clicked and still running when "Running" is looked for.
    answers.shut();
    // Started at the smallest window, where the Start button sits a screen or more below the runs.
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByRole('button', { name: 'Start generation' }).click();
    const job = page.getByTestId('job-card');
    await job.getByText('Running').or(job.getByText('Queued')).first().waitFor();
    // The new run's card is brought into view (the Start button had scrolled the form over it).
    await expect.poll(() => job.evaluate((card) => card.getBoundingClientRect().top)).toBeGreaterThanOrEqual(0);
    await page.setViewportSize({ width: 1360, height: 900 });
    await job.getByRole('button', { name: 'Pause' }).click();
    await job.getByText('Paused', { exact: true }).waitFor({ timeout: 30_000 });
    await shot('14-job-paused');
    // A paused run sends nothing: 800 ms to catch one that would (a window to observe, not a wait).
    const pausedAt = llm.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(llm.requests.length).toBe(pausedAt);
    await job.getByRole('button', { name: 'Resume' }).click();
    await job.getByText('Running').waitFor();
    await shot('15-job-running');
    answers.open();
    await job.getByText('Finished', { exact: true }).waitFor({ timeout: 90_000 });
    await shot('16-job-finished');

    // The target is the character's total: once met, the form offers "N more" instead of a re-run.
    const moreBox = page.getByRole('group', { name: 'Generate more' });
    await moreBox.getByText('Target met.').waitFor();
    await moreBox.getByLabel('More scenes').fill('3');
    await shot('16b-target-met');
    await page.getByRole('button', { name: 'Generate 3 more' }).click();
    await page
      .getByRole('article', { name: 'Current run' })
      .getByText('Finished', { exact: true })
      .waitFor({ timeout: 90_000 });

    // The run's requests asked for JSON by schema, one per stage (the connection test asks for none).
    const schemas = new Set(
      llm.requests
        .flatMap((r) => (r.chat ? [r] : []))
        .map((r) => (r.chat?.response_format as { json_schema?: { name?: string } } | undefined)?.json_schema?.name),
    );
    schemas.delete(undefined);
    expect([...schemas].sort()).toEqual(['experience', 'limits', 'scenes']);

    // The knowledge limits were written at the start of the run and can be read and edited.
    await page.getByRole('textbox', { name: 'Limit 1' }).waitFor();
    expect(await page.getByRole('textbox', { name: /^Limit \d+$/ }).count()).toBeGreaterThan(0);

    await page.getByRole('tab', { name: 'Dataset' }).click();
    const stats = page.getByRole('definition').first();
    await expect.poll(async () => Number((await stats.innerText()).replace(/\D/g, ''))).toBeGreaterThanOrEqual(12);
    await page.getByTestId('scene-item').first().click();
    const detail = page.getByRole('article', { name: 'Scene detail' });
    await detail.locator('.turn.thinking').first().waitFor();
    await shot('17-dataset-scene');

    // Provenance: the call that imagined the scene, and the one that wrote its experience.
    await detail.getByRole('button', { name: 'Provenance' }).click();
    const provenance = page.getByRole('dialog', { name: 'Provenance' });
    await provenance.locator('.raw-response').filter({ hasText: '"scenes"' }).waitFor();
    expect(await provenance.getByText('fake-model', { exact: true }).count()).toBeGreaterThan(0);
    // The provider by the name the user gave it, with the kind of endpoint beneath.
    const providerFact = provenance.locator('.call-facts dd').first();
    expect(await providerFact.innerText()).toBe('Fake LLM\nOpenAI-compatible (custom)');
    await shot('18-provenance-scene');
    await provenance.getByRole('tab', { name: 'Experience call' }).click();
    await provenance.locator('.raw-response').filter({ hasText: '"turns"' }).waitFor();
    await shot('19-provenance-experience');
    await provenance.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: /^Filters/ }).click();
    await page.getByRole('radio', { name: 'Protective' }).click();
    // The list shows its former rows until the filtered ones come: wait for a protective first row.
    await page.getByTestId('scene-item').first().locator('.badge.protective').waitFor();
    await page.getByTestId('scene-item').first().click();
    await detail.getByText('protective', { exact: true }).waitFor();
    await detail.getByText(/cannot know:/).waitFor();
    await shot('20-dataset-protective');
    await detail.getByRole('button', { name: 'Provenance' }).click();
    await provenance.getByText('One call wrote both the scene and its experience.').waitFor();
    await provenance.getByRole('button', { name: 'Close' }).click();

    // The generated limits and the prompts are the user's to edit.
    await page.getByRole('tab', { name: 'Generate' }).click();
    const limits = page.getByRole('region', { name: 'Things Beethoven cannot know' });
    const before = await limits.getByRole('textbox').count();
    await limits.getByRole('button', { name: '+ Add a line' }).click();
    await limits.getByRole('textbox').last().fill('the phonograph');
    await limits.getByRole('button', { name: 'Save list' }).click();
    await limits.getByText('yours', { exact: true }).waitFor();
    expect(await limits.getByRole('textbox').count()).toBe(before + 1);

    // A fresh list can be asked for at any time; it replaces the saved one after a confirmation.
    page.once('dialog', (dialog) => void dialog.accept());
    await limits.getByRole('button', { name: 'Generate a list' }).click();
    await expect.poll(() => limits.getByText('yours', { exact: true }).count()).toBe(0);
    expect(await limits.getByRole('textbox').count()).toBe(5);
    expect(await limits.getByRole('textbox').first().inputValue()).toBe('the smartphone');

    const prompts = page.locator('details.prompts');
    await prompts.locator('summary').click();
    const scenesPrompt = prompts
      .getByRole('listitem')
      .filter({ has: page.getByRole('heading', { name: 'Scenes', exact: true }) });
    await scenesPrompt.getByRole('button', { name: 'Edit' }).click();
    const template = scenesPrompt.getByLabel(/^Template/);
    await template.fill(`${await template.inputValue()}\nKeep each background under 80 words.`);
    await scenesPrompt.getByRole('button', { name: 'Save as new version' }).click();
    await scenesPrompt.getByText('custom', { exact: true }).waitFor();
    await limits.scrollIntoViewIfNeeded();
    await shot('21-limits-and-prompts');
  });
});
