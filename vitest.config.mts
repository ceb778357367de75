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
          env: offlineConverters,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          env: offlineConverters,
        },
      },
    ],
  },
});
