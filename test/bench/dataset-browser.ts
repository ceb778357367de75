// The dataset browser at the paper's size for one character (1,600 scenes) and at 100,000 scenes
// (about 1.2 million turns; dataset-scale's builder): build time and database size (search index
// included), then through `serve` in Chromium: first paint of the list (from clicking the Dataset
// tab to the first row on screen, and from navigation), search latency p50/p95 over 20 queries
// through the web door, the longest frame while scrolling 5,000 rows (a requestAnimationFrame
// probe in the page; pages load as it scrolls) beside the longest the same probe sees on a page
// that does nothing but scroll (the machine's floor at its load), and the statistics and filter
// counts.
// BENCH_BROWSER_SCENES overrides the large size (e.g. for a quick run). BENCH_BROWSER_KEEP names a
// folder where each size's data folder is built once and reused by later runs (building 100,000
// scenes takes minutes; a kept folder is opened by the studio of the day, so it migrates as a
// user's would).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { CharacterId } from '../../common/contract';
import { Studio } from '../../main/core/studio';
import { launchBrowser } from '../support/browser';
import { startServe } from '../support/serve';
import { benchCharacter } from './built-dataset';
import { build } from './dataset-scale';

const LARGE = Number(process.env.BENCH_BROWSER_SCENES ?? 100_000);
const KEEP = process.env.BENCH_BROWSER_KEEP;
const SCROLL_ROWS = 5_000;
const REPEATS = 5;

/** What people look for: rare and common words, phrases, a prefix, names, places, operators typed as words. */
const QUERIES = [
  'sonata',
  'publisher',
  'rent due',
  '"the rent"',
  'Neefe',
  'organ loft',
  'grey afternoon',
  'sonat',
  'scene 4242',
  'room 17',
  'Bonn',
  'telephone',
  'Beethoven kindly',
  'conversation turns',
  'turn 11',
  'nothingmatchesthis',
  'publisher AND rent',
  '"unbalanced',
  'the',
  'scene 99999',
];

interface Figure {
  value: number;
  goal: number;
  unit: string;
}
const figure = (value: number, goal: number, unit: string): Figure => ({ value: Math.round(value), goal, unit });
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;
const median = (values: number[]) => percentile(values, 50);

/** A command through the web door from the page (its token cookie), timed in the page, in ms. */
async function timedInvoke(page: Page, name: string, arg: object): Promise<number> {
  return page.evaluate(
    async ([n, a]) => {
      const started = performance.now();
      const response = await fetch(`/api/invoke/${n}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(a),
      });
      await response.json();
      if (!response.ok) throw new Error(`${n} failed with ${response.status}`);
      return performance.now() - started;
    },
    [name, arg] as const,
  );
}

/** Opens the Dataset tab and returns ms from the click to the first row on screen. */
async function openDataset(page: Page): Promise<number> {
  await page.getByRole('tab', { name: 'Dataset' }).waitFor();
  const started = performance.now();
  await page.getByRole('tab', { name: 'Dataset' }).click();
  await page.getByTestId('scene-item').first().waitFor({ state: 'visible' });
  return performance.now() - started;
}

/**
 * Scrolls the list down a few rows a frame until row `rows` is on screen, loading pages on the
 * way, and returns the frame times the page saw (ms between animation frames).
 */
async function scrollFrames(page: Page, rows: number): Promise<{ longest: number; over50: number; frames: number }> {
  return page.evaluate(async (target) => {
    const list = document.querySelector<HTMLElement>('[data-testid="scene-list"]')!;
    const frames: number[] = [];
    let last = performance.now();
    const shownUpTo = () => {
      const numbers = [...list.querySelectorAll('.scene-number')].map((n) => Number(n.textContent));
      return Math.max(0, ...numbers);
    };
    const deadline = performance.now() + 240_000;
    await new Promise<void>((resolve) => {
      const step = (now: number) => {
        frames.push(now - last);
        last = now;
        list.scrollBy(0, 180);
        if (shownUpTo() >= target || now > deadline) resolve();
        else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
    // The first frame measures the wait before the loop started.
    frames.shift();
    return { longest: Math.max(...frames), over50: frames.filter((f) => f > 50).length, frames: frames.length };
  }, rows);
}

/**
 * The same probe, for as many frames, on a page that only scrolls a tall striped box: the longest
 * frame the machine gives any page at its present load (on a loaded machine it is well over 50 ms).
 */
async function scrollFloor(browser: Browser, count: number): Promise<{ longest: number; over50: number }> {
  // A page of its own: the studio's pages forbid inline styles.
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.setContent(
    '<div id="box" style="height:600px;overflow-y:auto"><div style="height:4000000px;background:repeating-linear-gradient(#fff 0 40px,#eee 40px 80px)"></div></div>',
  );
  const floor = await page.evaluate(async (n) => {
    const box = document.getElementById('box')!;
    const frames: number[] = [];
    let last = performance.now();
    await new Promise<void>((resolve) => {
      const step = (now: number) => {
        frames.push(now - last);
        last = now;
        box.scrollBy(0, 180);
        if (frames.length > n) resolve();
        else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
    frames.shift();
    return { longest: Math.max(...frames), over50: frames.filter((f) => f > 50).length };
  }, count);
  await page.close();
  return floor;
}

/** What building a size's data folder gave, kept beside it when BENCH_BROWSER_KEEP is set. */
interface Built {
  characterId: CharacterId;
  buildSeconds: number;
  databaseMiB: number;
}

/** A data folder with a character of `scenes` scenes: built in `dataDir`, or the kept one reused. */
async function prepare(dataDir: string, scenes: number): Promise<Built> {
  const builtFile = path.join(dataDir, 'bench-built.json');
  if (fs.existsSync(builtFile)) return JSON.parse(fs.readFileSync(builtFile, 'utf8')) as Built;
  const studio = new Studio({ dataDir, door: 'cli', version: 'bench' });
  const characterId = await benchCharacter(studio);
  const buildStarted = performance.now();
  build(studio, characterId, scenes);
  const buildMs = performance.now() - buildStarted;
  studio.db.pragma('wal_checkpoint(TRUNCATE)');
  studio.close();
  const built: Built = {
    characterId,
    buildSeconds: Math.round(buildMs / 1000),
    databaseMiB: Math.round(fs.statSync(studio.databasePath).size / 2 ** 20),
  };
  fs.writeFileSync(builtFile, JSON.stringify(built));
  return built;
}

async function measure(scenes: number): Promise<object> {
  const dataDir = KEEP ? path.join(KEEP, String(scenes)) : fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-browser-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const browser = await launchBrowser();
  try {
    const { characterId, buildSeconds, databaseMiB } = await prepare(dataDir, scenes);

    const loadBefore = os.loadavg().map((l) => Number(l.toFixed(2)));
    // A kept folder of an older schema is upgraded as serve opens it (minutes at 100,000 scenes on a
    // loaded machine), and the figures below are then the first run after an upgrade.
    const serve = await startServe(dataDir, [], 600_000);
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const firstPaint: number[] = [];
      const fromNavigation: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const started = performance.now();
        await page.goto(serve.url);
        firstPaint.push(await openDataset(page));
        fromNavigation.push(performance.now() - started);
      }

      const search: number[] = [];
      const searchCounts: number[] = [];
      for (const query of QUERIES) {
        search.push(await timedInvoke(page, 'scenes/list', { characterId, limit: 100, search: query }));
        searchCounts.push(
          Math.max(
            await timedInvoke(page, 'review/counts', { characterId, filter: { search: query } }),
            await timedInvoke(page, 'scenes/facets', { characterId, filter: { search: query } }),
          ),
        );
      }
      // Each query's own figures, in the order they ran: the p95 of 20 is the slowest one, and
      // which one (the first after the tab opened, a phrase, a common word) says why.
      const searchByQuery = QUERIES.map((query, i) => ({
        query,
        listMs: Math.round(search[i]!),
        countsMs: Math.round(searchCounts[i]!),
      }));
      const stats: number[] = [];
      const counts: number[] = [];
      const facets: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        stats.push(await timedInvoke(page, 'dataset/stats', { characterId }));
        counts.push(await timedInvoke(page, 'review/counts', { characterId, filter: {} }));
        facets.push(await timedInvoke(page, 'scenes/facets', { characterId, filter: {} }));
      }
      const otherOrders: number[] = [];
      for (const sort of ['newest', 'turns', 'rating']) {
        otherOrders.push(await timedInvoke(page, 'scenes/list', { characterId, limit: 100, sort }));
      }

      const scroll = await scrollFrames(page, Math.min(SCROLL_ROWS, scenes));
      const floor = await scrollFloor(browser, scroll.frames);
      return {
        scenes,
        turns: scenes * 12,
        buildSeconds,
        databaseMiB,
        firstPaintMs: figure(median(firstPaint), 1_000, 'ms, Dataset tab click → first row (median of 5)'),
        firstPaintFromNavigationMs: figure(median(fromNavigation), 2_000, 'ms, navigation → first row (median of 5)'),
        searchP50Ms: figure(percentile(search, 50), 100, 'ms, scenes/list with a search, 100 rows'),
        searchP95Ms: figure(percentile(search, 95), 100, 'ms, scenes/list with a search, 100 rows'),
        searchCountsP95Ms: figure(
          percentile(searchCounts, 95),
          500,
          'ms, review/counts and scenes/facets under a search',
        ),
        searchByQuery,
        otherOrdersFirstPageMs: figure(Math.max(...otherOrders), 100, 'ms, slowest first page of newest/turns/rating'),
        statisticsMs: figure(median(stats), 500, 'ms, dataset/stats'),
        filterCountsMs: figure(median(counts) + median(facets), 500, 'ms, review/counts + scenes/facets'),
        scrollLongestFrameMs: figure(
          scroll.longest,
          50,
          `ms, longest of ${scroll.frames} frames scrolling ${Math.min(SCROLL_ROWS, scenes)} rows`,
        ),
        scrollFramesOver50Ms: scroll.over50,
        scrollFloorLongestFrameMs: figure(
          floor.longest,
          50,
          `ms, longest of as many frames scrolling a bare box (the machine's floor)`,
        ),
        scrollFloorFramesOver50Ms: floor.over50,
        loadAverageBefore: loadBefore,
        loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      };
    } finally {
      await serve.stop();
    }
  } finally {
    await browser.close();
    if (!KEEP) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<object> {
  return { paperSize: await measure(1_600), large: await measure(LARGE) };
}
