// `npm test`: everything CI runs, stopping at the first step that fails (steps side by side end
// together first). Ends with one summary line `tests: N passed, N failed` counted from the runners'
// own reports.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'test-output');
fs.mkdirSync(out, { recursive: true });
const python = path.join(root, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const hasTrainer = fs.existsSync(path.join(root, 'test', 'trainer'));
const counts = { passed: 0, failed: 0, skipped: 0 };
const timings = [];

function run(name, command, args, options = {}) {
  const started = Date.now();
  process.stderr.write(`\n▶ ${name}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${name} ${seconds}s`);
  if (result.status !== 0) {
    process.stderr.write(`\n✖ ${name} failed (exit ${result.status ?? result.signal}) after ${seconds}s\n`);
    finish(1);
  }
}

/**
 * Runs steps at once, so that two cores are busy where one step alone would leave one idle (the
 * type check beside the lint; the trainer's tests beside the browser tests, which run one file at a
 * time). A `live` step writes as it goes; the others' output is held and printed whole when all
 * have ended. Each step's `count` then reads its runner's report; stops after them if any failed.
 */
async function runTogether(steps) {
  const started = Date.now();
  process.stderr.write(`\n▶ ${steps.map((s) => s.name).join(' ∥ ')}\n`);
  const ended = await Promise.all(
    steps.map(
      (step) =>
        new Promise((resolve) => {
          const child = spawn(step.command, step.args, {
            cwd: root,
            env: { ...process.env, ...step.env },
            stdio: step.live ? 'inherit' : ['ignore', 'pipe', 'pipe'],
          });
          const output = [];
          child.stdout?.on('data', (chunk) => output.push(chunk));
          child.stderr?.on('data', (chunk) => output.push(chunk));
          child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
          child.on('close', (code, signal) =>
            resolve({ step, code: code ?? signal, seconds: ((Date.now() - started) / 1000).toFixed(1), output }),
          );
        }),
    ),
  );
  for (const { step, seconds, output } of ended) {
    if (output.length > 0) process.stderr.write(`\n── ${step.name}\n${Buffer.concat(output)}`);
    timings.push(`${step.name} ${seconds}s`);
  }
  let failed = false;
  for (const { step, code, seconds } of ended) {
    if (code !== 0) process.stderr.write(`\n✖ ${step.name} failed (exit ${code}) after ${seconds}s\n`);
    const counted = step.count?.() ?? true;
    failed ||= code !== 0 || !counted;
  }
  if (failed) finish(1);
}

/** Adds a report's figures to the summary; false (with the reason said) when it ran no test. */
function tally(name, report, figures) {
  if (!fs.existsSync(report)) return false;
  const { total, bad, skipped } = figures(fs.readFileSync(report, 'utf8'));
  counts.passed += total - bad - skipped;
  counts.failed += bad;
  counts.skipped += skipped;
  if (total === 0) process.stderr.write(`\n✖ ${name} ran no test\n`);
  return total > 0;
}

function vitest(project, live = true) {
  const report = path.join(out, `vitest-${project}.json`);
  fs.rmSync(report, { force: true });
  const name = `vitest ${project}`;
  return {
    name,
    live,
    command: process.execPath,
    args: [
      path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--project',
      project,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
    ],
    count: () =>
      tally(name, report, (text) => {
        const summary = JSON.parse(text);
        const skipped = summary.numPendingTests + (summary.numTodoTests ?? 0);
        return { total: summary.numTotalTests, bad: summary.numFailedTests, skipped };
      }),
  };
}

/** The trainer's tests, on one core (`OMP_NUM_THREADS`: torch's own threads) beside the other. */
function pytest() {
  const report = path.join(out, 'pytest.xml');
  fs.rmSync(report, { force: true });
  return {
    name: 'pytest trainer',
    command: python,
    args: ['-m', 'pytest', 'test/trainer', '-q', `--junitxml=${report}`],
    env: { PYTHONPATH: path.join(root, 'resources', 'trainer'), OMP_NUM_THREADS: '1' },
    count: () =>
      tally('pytest', report, (xml) => {
        const attr = (name) => Number(new RegExp(`<testsuite[^>]*\\b${name}="(\\d+)"`).exec(xml)?.[1] ?? 0);
        return { total: attr('tests'), bad: attr('failures') + attr('errors'), skipped: attr('skipped') };
      }),
  };
}

function finish(code) {
  process.stderr.write(`\n${timings.join(' · ')}\n`);
  process.stdout.write(`tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  process.exit(code === 0 && counts.failed > 0 ? 1 : code);
}

const npx = (bin) => path.join(root, 'node_modules', '.bin', bin);
// The trainer's tests (Node and Python) need its venv; a quick no-op when it is up to date.
if (hasTrainer) run('python environment', 'bash', [path.join(root, 'scripts', 'setup-python.sh')]);
await runTogether([
  { name: 'typecheck', command: 'npm', args: ['run', '--silent', 'typecheck'] },
  { name: 'lint', command: npx('eslint'), args: ['--max-warnings', '0', '.'] },
]);
await runTogether([vitest('unit')]);
run('build', process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
await runTogether(hasTrainer ? [vitest('e2e'), pytest()] : [vitest('e2e')]);
finish(0);
