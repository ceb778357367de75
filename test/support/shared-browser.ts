import { chromium, type Browser } from 'playwright-core';
import { inject } from 'vitest';
import { launchBrowser } from './browser';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The e2e run's Chromium (a Playwright browser server started by e2e-setup.ts), to connect to. */
    chromiumEndpoint: string;
  }
}

/**
 * The e2e run's one Chromium (test/support/e2e-setup.ts), connected to for this file; a Chromium
 * of its own where no global setup started one (a single file run under another project). Closing
 * the returned browser ends this file's contexts and connection, never the shared Chromium.
 */
export async function sharedBrowser(): Promise<Browser> {
  const endpoint = inject('chromiumEndpoint');
  return endpoint ? chromium.connect(endpoint) : launchBrowser();
}
