import fs from 'node:fs';
import { chromium, type Browser, type LaunchOptions, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, with nothing that reaches the network. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch(chromiumOptions());
}

/** How every Chromium of the tests is started, by itself (launchBrowser) or as a server (e2e-setup.ts). */
export function chromiumOptions(): LaunchOptions {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` (CI does this in .ci/run).`,
    );
  }
  return {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  };
}

/**
 * Resolves once every CSS transition and animation running in the page has finished (a progress
 * bar easing to its value, a panel opening): what a screenshot should wait for, instead of a fixed
 * pause that is too short on a loaded machine and wasted on a quiet one. Infinite animations
 * (spinners) are skipped.
 */
export async function animationsSettled(page: Page): Promise<void> {
  await page.evaluate(async () => {
    // Two frames first: a change just made (a theme switched by a media listener, say) starts its
    // transitions only at the next style pass, and before it there is nothing yet to wait for.
    for (let frame = 0; frame < 2; frame++) await new Promise((resolve) => requestAnimationFrame(resolve));
    for (let round = 0; round < 10; round++) {
      const running = document
        .getAnimations()
        .filter((a) => a.playState === 'running' && a.effect?.getComputedTiming().endTime !== Infinity);
      if (running.length === 0) return;
      await Promise.allSettled(running.map((a) => a.finished));
    }
  });
}

/**
 * The chosen text of each select under `scope` that cuts it (its text is wider than its box):
 * empty when every menu shows its whole choice.
 */
export function clippedSelects(page: Page, scope: string): Promise<string[]> {
  return page
    .locator(`${scope} select`)
    .evaluateAll((all) =>
      (all as HTMLSelectElement[])
        .filter((s) => s.scrollWidth > s.clientWidth)
        .map((s) => s.selectedOptions[0]?.textContent ?? ''),
    );
}
