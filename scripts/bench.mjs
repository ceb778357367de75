// `npm run bench`: measured figures, written to bench-output/bench.json and printed.
//  - serve cold start: from spawning `character-studio serve` to the first rendered page in
//    Chromium (median of 5, each a fresh process and data folder);
//  - renderer bundle size;
//  - the TypeScript benchmarks of test/bench/ (LLM gateway throughput, the profile-import fuzzer, the
//    dataset browser at 1,600 and 100,000 scenes in Chromium, the embedded chat runtime against
//    node-llama-cpp's bare loop and the time to convert a run to GGUF, judging Beethoven's answers,
//    building an evaluation report over 4 systems × 857 answers × 4 dimensions, …).
// `node scripts/bench.mjs <name>` runs only the test/bench files whose name contains <name> (after a
// build), and keeps the other figures already in bench-output/bench.json.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'bench-output');
fs.mkdirSync(outDir, { recursive: true });
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function coldStart(browser) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-'));
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'character-studio.cjs'), 'serve', '--port', '0', '--json', '--data-dir', dataDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const event = JSON.parse(line);
        if (event.event === 'ready') resolve(event.url);
      } catch {
        // not an event
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  const ready = performance.now();
  const page = await browser.newPage();
  await page.goto(url);
  await page.getByRole('button', { name: 'Create your first character' }).waitFor();
  const firstPage = performance.now();
  await page.close();
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { serverReadyMs: ready - started, firstPageMs: firstPage - started };
}

const only = process.argv[2];
const benchJson = path.join(outDir, 'bench.json');
// With a name given, no browser is started: only the named TypeScript benchmarks run.
const launch = only ? async () => null : (options) => chromium.launch(options);
const browser = await launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const runs = [];
if (browser) {
  await coldStart(browser); // warm the OS file cache once, as a user's second launch would be
  for (let i = 0; i < 5; i++) runs.push(await coldStart(browser));
  await browser.close();
}

const bundle = path.join(root, 'dist', 'renderer', 'assets');
const sizes = Object.fromEntries(
  fs
    .readdirSync(bundle)
    .filter((f) => !f.endsWith('.map'))
    .map((f) => [f, fs.statSync(path.join(bundle, f)).size]),
);
// With a name given, the figures of the last full run are kept and only the named ones replaced.
const results =
  only && fs.existsSync(benchJson)
    ? JSON.parse(fs.readFileSync(benchJson, 'utf8'))
    : {
        machine: {
          cpus: os.cpus().length,
          cpu: os.cpus()[0]?.model,
          node: process.version,
          date: new Date().toISOString(),
        },
        serveColdStart: {
          runs: runs.map((r) => ({
            serverReadyMs: Math.round(r.serverReadyMs),
            firstPageMs: Math.round(r.firstPageMs),
          })),
          medianServerReadyMs: Math.round(median(runs.map((r) => r.serverReadyMs))),
          medianFirstPageMs: Math.round(median(runs.map((r) => r.firstPageMs))),
        },
        rendererBundleBytes: sizes,
      };

// TypeScript benchmarks in test/bench/ (each exports `run(): Promise<object>`), bundled on the fly,
// with the scripts they start in processes of their own (`*-main.ts`). The other modules there are
// the benchmarks' shared parts (a built dataset, thread clocks): bundled into those that use them.
const benchDir = path.join(root, 'test', 'bench');
const buildDir = path.join(outDir, '.build');
const isBenchmark = (f) => /^export (async )?function run\(/m.test(fs.readFileSync(path.join(benchDir, f), 'utf8'));
const entries = fs
  .readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && (f.endsWith('-main.ts') || (isBenchmark(f) && (!only || f.includes(only)))));
await build({
  entryPoints: entries.map((f) => path.join(benchDir, f)),
  outdir: buildDir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['better-sqlite3', 'node-llama-cpp', 'ssh2', 'cpu-features', 'playwright-core'],
  // As scripts/build.mjs bundles the studio: migrations are text, the version a constant.
  loader: { '.sql': 'text' },
  define: { __STUDIO_VERSION__: JSON.stringify('bench') },
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
for (const file of entries.filter((f) => !f.endsWith('-main.ts')).sort()) {
  process.stderr.write(`bench ${file}…\n`);
  process.argv[1] = path.join(buildDir, file.replace(/\.ts$/, '.mjs'));
  const mod = await import(pathToFileURL(process.argv[1]).href);
  results[path.basename(file, '.ts')] = await mod.run();
}

fs.writeFileSync(benchJson, JSON.stringify(results, null, 2));
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
