// Builds every runtime with esbuild: main (shell + CLI) and preload as CommonJS for Node/Electron,
// the renderer as one ES module bundle plus CSS. Fast enough to run before every start and test.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = path.join(root, 'dist');
const production = process.env.NODE_ENV === 'production' || process.argv.includes('--production');

// Native or heavy packages stay in node_modules and are required at run time.
// pdfjs-dist loads its own worker module by path at run time, so it cannot be bundled.
const external = ['electron', 'better-sqlite3', 'node-llama-cpp', 'ssh2', 'cpu-features', 'pdfjs-dist'];
const common = {
  bundle: true,
  sourcemap: true,
  logLevel: 'warning',
  define: { __STUDIO_VERSION__: JSON.stringify(pkg.version) },
  loader: { '.sql': 'text' },
};

fs.rmSync(out, { recursive: true, force: true });
const started = Date.now();
await Promise.all([
  // ES modules, because node-llama-cpp is ESM-only; the banner gives bundled CommonJS code the
  // `require`, `__dirname` and `__filename` it expects.
  build({
    ...common,
    entryPoints: {
      shell: 'main/shell/main.ts',
      cli: 'main/cli/index.ts',
      // Reads .docx/.epub/.pdf on a thread of its own (main/core/manuscripts/manuscript-reader.ts).
      'manuscript-worker': 'main/core/manuscripts/worker.ts',
    },
    outdir: path.join(out, 'main'),
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external,
    banner: {
      js: [
        "import { createRequire as __csCreateRequire } from 'node:module';",
        "import { fileURLToPath as __csFileURLToPath } from 'node:url';",
        "import { dirname as __csDirname } from 'node:path';",
        'const require = __csCreateRequire(import.meta.url);',
        'const __filename = __csFileURLToPath(import.meta.url);',
        'const __dirname = __csDirname(__filename);',
      ].join('\n'),
    },
  }),
  build({
    ...common,
    entryPoints: { preload: 'preload/preload.ts' },
    outdir: path.join(out, 'preload'),
    outExtension: { '.js': '.cjs' },
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['electron'],
  }),
  build({
    ...common,
    entryPoints: { app: 'renderer/src/main.tsx' },
    outdir: path.join(out, 'renderer', 'assets'),
    platform: 'browser',
    target: ['chrome120'],
    format: 'esm',
    jsx: 'automatic',
    minify: true,
    sourcemap: production ? false : 'linked',
    define: { ...common.define, 'process.env.NODE_ENV': '"production"' },
  }),
]);
fs.copyFileSync(path.join(root, 'renderer', 'index.html'), path.join(out, 'renderer', 'index.html'));
// The app's icon (build/ holds electron-builder's icon.png, drawn from the same SVG) as the page's favicon.
fs.copyFileSync(path.join(root, 'build', 'icon.svg'), path.join(out, 'renderer', 'assets', 'icon.svg'));
const size = fs.statSync(path.join(out, 'renderer', 'assets', 'app.js')).size;
process.stderr.write(`built dist/ in ${Date.now() - started} ms (renderer ${(size / 1024).toFixed(0)} KiB)\n`);
