import { chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { chromiumOptions } from './browser';

/**
 * The e2e project's global setup: one Chromium for the whole run instead of one per file (each
 * launch is a second of a loaded core). Files stay apart: each connects on its own, every page
 * gets its own browser context, and what a file's connection made is closed when it disconnects.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await chromium.launchServer(chromiumOptions());
  project.provide('chromiumEndpoint', server.wsEndpoint());
  return () => server.close();
}
