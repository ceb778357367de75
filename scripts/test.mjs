// `npm test`: everything CI runs, in order, stopping at the first failure. Ends with one summary
// line `tests: N passed, N failed` counted from the runners' own reports.
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
 * Runs steps at once (each is one process on one core: the type check and the lint), their output
 * held and printed whole in order when all have ended; stops after them if any failed.
 */
async function runTogether(steps) {
  const started = Date.now();
  process.stderr.write(`\n▶ ${steps.map((s) => s.name).join(' ∥ ')}\n`);
  const ended = await Promise.all(
    steps.map(
      ({ name, command, args }) =>
        new Promise((resolve) => {
          const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
          const output = [];
          child.stdout.on('data', (chunk) => output.push(chunk));
          child.stderr.on('data', (chunk) => output.push(chunk));
          child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
          child.on('close', (code, signal) =>
            resolve({ name, code: code ?? signal, seconds: ((Date.now() - started) / 1000).toFixed(1), output }),
          );
        }),
    ),
  );
  for (const step of ended) {
    process.stderr.write(Buffer.concat(step.output));
    timings.push(`${step.name} ${step.seconds}s`);
  }
  const failed = ended.filter((step) => step.code !== 0);
  for (const step of failed)
    process.stderr.write(`\n✖ ${step.name} failed (exit ${step.code}) after ${step.seconds}s\n`);
  if (failed.length > 0) finish(1);
}

function vitest(project) {
  const report = path.join(out, `vitest-${project}.json`);
  fs.rmSync(report, { force: true });
  run(`vitest ${project}`, process.execPath, [
    path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ]);
  const summary = JSON.parse(fs.readFileSync(report, 'utf8'));
  counts.passed += summary.numPassedTests;
  counts.failed += summary.numFailedTests;
  counts.skipped += summary.numPendingTests + (summary.numTodoTests ?? 0);
  if (summary.numTotalTests === 0) {
    process.stderr.write(`\n✖ vitest ${project} ran no test\n`);
    finish(1);
  }
}

function pytest() {
  const report = path.join(out, 'pytest.xml');
  fs.rmSync(report, { force: true });
  run('pytest trainer', python, ['-m', 'pytest', 'test/trainer', '-q', `--junitxml=${report}`], {
    env: { ...process.env, PYTHONPATH: path.join(root, 'resources', 'trainer') },
  });
  const xml = fs.readFileSync(report, 'utf8');
  const attr = (name) => Number(new RegExp(`<testsuite[^>]*\\b${name}="(\\d+)"`).exec(xml)?.[1] ?? 0);
  const total = attr('tests');
  const bad = attr('failures') + attr('errors');
  const skipped = attr('skipped');
  counts.passed += total - bad - skipped;
  counts.failed += bad;
  counts.skipped += skipped;
  if (total === 0) {
    process.stderr.write('\n✖ pytest ran no test\n');
    finish(1);
  }
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
vitest('unit');
run('build', process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
vitest('e2e');
if (hasTrainer) pytest();
finish(0);
