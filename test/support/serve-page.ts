import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { animationsSettled } from './browser';
import { fakeProviderDraft } from './drafts';
import { tempDir, testOutputDir } from './paths';
import { startServe, type ServeHandle } from './serve';
import { sharedBrowser } from './shared-browser';

/**
 * A connection to the run's Chromium for the file and, for each test, a fresh data folder, `serve`
 * on it and a page in a browser context of its own.
 * Registers the vitest hooks itself; read the fields inside tests (they change per test). A test
 * may stop `serve` and start another on the same folder (assign `session.serve`).
 */
export interface ServePageSession {
  browser: Browser;
  data: { dir: string; cleanup: () => void };
  serve: ServeHandle;
  page: Page;
  /**
   * Saves a screenshot of the window (`fullPage`: the whole page, scrolled parts too) under
   * test-output/screenshots/<name>.png, once the page's animations have settled.
   */
  shot: (name: string, options?: { fullPage?: boolean }) => Promise<void>;
}

/**
 * `prepare` fills each test's data folder before `serve` opens it (a copy of a seed made once for
 * the file, test/support/seed-once.ts); `pageOptions` are the page's own (permissions, say).
 */
export function useServePage(
  prefix: string,
  viewport = { width: 1360, height: 860 },
  prepare?: (dataDir: string) => void | Promise<void>,
  pageOptions: Omit<NonNullable<Parameters<Browser['newPage']>[0]>, 'viewport'> = {},
): ServePageSession {
  const shots = path.join(testOutputDir, 'screenshots');
  const session = {
    shot: async (name: string, options: { fullPage?: boolean } = {}) => {
      await animationsSettled(session.page);
      fs.mkdirSync(shots, { recursive: true });
      await session.page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: options.fullPage ?? false });
    },
  } as ServePageSession;
  beforeAll(async () => {
    session.browser = await sharedBrowser();
  });
  afterAll(async () => {
    await session.browser?.close();
  });
  // What the page said on its console: printed with the page's text when a test fails, so a red
  // CI run shows what the window showed instead of only the locator that timed out.
  let consoleLines: string[] = [];
  beforeEach(async () => {
    session.data = tempDir(prefix);
    await prepare?.(session.data.dir);
    // The page's context opens while `serve` starts: two processes, each waiting on its own. `serve`
    // is kept first, so that afterEach stops it even when the page fails to open.
    const opening = session.browser.newPage({ viewport, ...pageOptions });
    void opening.catch(() => undefined); // its failure is thrown below, once `serve` is up, not as an unhandled rejection
    session.serve = await startServe(session.data.dir);
    session.page = await opening;
    consoleLines = [];
    session.page.on('console', (message) => {
      if (consoleLines.length < 200) consoleLines.push(`${message.type()}: ${message.text()}`);
    });
    session.page.on('pageerror', (error) => {
      throw error;
    });
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && session.page) {
      await reportFailedPage(session.page, context.task.name, consoleLines, shots);
    }
    // The page first: a page left open while `serve` stops sees its requests fail ("The studio
    // server cannot be reached"), and that error, thrown from its pageerror listener, broke the
    // next test's page before it opened (review.e2e, once in CI).
    try {
      await session.page?.close();
    } finally {
      await session.serve?.stop();
    }
    session.data?.cleanup();
  });
  return session;
}

/** A screenshot of the page a test failed on, and its text and console, printed to the test's log. */
async function reportFailedPage(page: Page, testName: string, consoleLines: string[], shots: string): Promise<void> {
  const file = path.join(shots, `failed-${testName.replace(/[^\w-]+/g, '-').slice(0, 80)}.png`);
  try {
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: file, timeout: 5_000 });
    const text = await page.evaluate(() => document.body.innerText);
    console.error(
      [
        `The page when "${testName}" failed (screenshot: ${file}):`,
        `url: ${page.url()}`,
        text.slice(0, 3_000),
        '--- console ---',
        ...consoleLines.slice(-40),
      ].join('\n'),
    );
  } catch (error) {
    console.error(`The failed page could not be read: ${String(error)}`);
  }
}

/**
 * Calls the studio as the page does (same origin, the token in its cookie): a second window on the
 * same studio, or a quick setup step. Throws the command's `{code, message}` when it fails.
 */
export async function pageInvoke<T>(page: Page, name: string, arg: object): Promise<T> {
  return page.evaluate(
    async ([n, a]) => {
      const response = await fetch(`/api/invoke/${n}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(a),
      });
      const body = (await response.json()) as { result?: unknown; error?: unknown };
      if (!response.ok) throw new Error(JSON.stringify(body.error));
      return body.result;
    },
    [name, arg] as const,
  ) as Promise<T>;
}

/** Opens Beethoven (from the character list) on his Evaluate tab, showing `view`. */
export async function openEvaluate(page: Page, view: 'Interviews' | 'Judge' | 'Report'): Promise<void> {
  await page
    .getByRole('button', { name: /Ludwig van Beethoven/ })
    .first()
    .click();
  await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
  await page.getByRole('tab', { name: 'Evaluate' }).click();
  await page.getByRole('button', { name: view, exact: true }).click();
}

/**
 * Beethoven with a one-paragraph profile and the fake LLM server at `llmBaseUrl` as provider
 * "Fake", made through the page's studio: where the evaluation's browser tests start.
 */
export async function beethovenWithFakeProvider(
  page: Page,
  llmBaseUrl: string,
): Promise<{ character: { id: string }; provider: { id: string } }> {
  const character = await pageInvoke<{ id: string }>(page, 'characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '1770–1827',
    notes: '',
  });
  await pageInvoke(page, 'profiles/import', {
    characterId: character.id,
    text: '# Ludwig van Beethoven\n\nLudwig van Beethoven was a German composer and pianist.',
  });
  const provider = await pageInvoke<{ id: string }>(page, 'providers/create', {
    ...fakeProviderDraft(llmBaseUrl, 'Fake'),
  });
  return { character, provider };
}

/**
 * Beethoven (as `beethovenWithFakeProvider` makes him) in a baseline conversation with the fake LLM
 * server, `questions` asked and answered in it, made through the page's studio: where the chat's
 * browser tests start. The page is not reloaded: the caller does, on the screen it tests.
 */
export async function baselineConversation(
  page: Page,
  llmBaseUrl: string,
  questions: readonly string[],
  setting: { location: string; status: string } = { location: 'Vienna', status: '' },
  title?: string,
): Promise<{ conversationId: string }> {
  const { character, provider } = await beethovenWithFakeProvider(page, llmBaseUrl);
  const made = await pageInvoke<{ conversation: { id: string } }>(page, 'chat/create', {
    characterId: character.id,
    target: { kind: 'baseline', providerId: provider.id, model: 'fake-model' },
    runtime: 'endpoint',
    setting,
    ...(title !== undefined && { title }),
  });
  for (const text of questions) await pageInvoke(page, 'chat/send', { conversationId: made.conversation.id, text });
  return { conversationId: made.conversation.id };
}
