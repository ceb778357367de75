import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/** `.sql` migrations are imported as text, as esbuild's text loader does for the app build. */
const sqlAsText = {
  name: 'sql-as-text',
  transform(code: string, id: string) {
    return id.endsWith('.sql') ? { code: `export default ${JSON.stringify(code)};`, map: null } : null;
  },
};

/** Trainer children never fetch llama.cpp's converters from the internet in tests: a closed port. */
const offlineConverters = { CHARACTER_STUDIO_LLAMA_CPP_URL: 'http://127.0.0.1:9/llama.cpp.tar.gz' };

/**
 * `expect.poll` waits for a state, not for a time: its ceiling (vitest's default is 1 s) must hold on
 * CI's two loaded cores, where one render or one SQLite write behind an event can take seconds. A
 * poll that passes returns at its first true check, so the ceiling costs nothing when all is well.
 * Held by test/unit/shell/poll-ceiling.test.ts and test/e2e/poll-ceiling.e2e.test.ts.
 */
const patientPolls = { poll: { timeout: 20_000, interval: 50 } };

export default defineConfig({
  plugins: [sqlAsText],
  test: {
    projects: [
      {
        plugins: [sqlAsText],
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'],
          environment: 'node',
          testTimeout: 30_000,
          pool: 'forks',
          // vitest leaves a core free by default, which on CI's two cores is one file at a time.
          maxWorkers: Math.max(2, availableParallelism() - 1),
          // Each worker imports the studio's modules once, not once per file (~130 s of CI's CPU). No
          // file mocks modules or stubs globals; the files that change process.env put it back.
          isolate: false,
          // React reads the DevTools hook once, as react-dom loads: it must be there first (render-count.ts).
          setupFiles: ['test/support/devtools-hook.ts'],
          expect: patientPolls,
          env: offlineConverters,
        },
      },
      {
        plugins: [sqlAsText],
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // One Chromium for the run, each file connecting to it (test/support/shared-browser.ts).
          globalSetup: ['test/support/e2e-setup.ts'],
          isolate: false,
          expect: patientPolls,
          env: offlineConverters,
        },
      },
    ],
  },
});
