/**
 * The Python the trainer runs on: checking an interpreter for the pinned packages, and creating a
 * managed venv when the user has none. The same check runs remotely over SSH (ssh-environment.ts), so
 * it is a self-contained `python -c` snippet taking the requirement pins as one JSON argument.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { StudioFailure } from '../errors';
import { clause } from '../../../common/sentence';

export const MIN_PYTHON = [3, 10] as const;

/** Why the trainer cannot be launched; the message says what to do. */
export type TrainerLaunchReason =
  | 'python_missing'
  | 'python_too_old'
  | 'packages_missing'
  | 'venv_failed'
  | 'already_running'
  | 'not_running'
  | 'spawn_failed'
  | 'protocol'
  | 'ssh_host_unknown'
  | 'ssh_host_changed'
  | 'ssh_host_revoked'
  | 'ssh_auth'
  | 'ssh_connect'
  | 'ssh_command'
  /** The SSH connection dropped before the run was started (upload, venv); resumable. */
  | 'connection_lost';

export class TrainerLaunchError extends StudioFailure {
  constructor(
    readonly reason: TrainerLaunchReason,
    message: string,
  ) {
    super('unavailable', message);
    this.name = 'TrainerLaunchError';
  }
}

export const SETUP_HINT =
  'Run scripts/setup-python.sh (it creates .venv with the pinned trainer packages) and point the studio at .venv/bin/python, or let the studio create its managed Python environment.';

export interface Requirement {
  name: string;
  /** The pinned version (`==`), or null when unpinned. */
  version: string | null;
}

/** Reads a pip requirements file (`name==version` lines, comments, `-r other.txt` includes). */
export async function readRequirements(file: string): Promise<Requirement[]> {
  const text = await readFile(file, 'utf8');
  const out: Requirement[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const include = /^-r\s+(.+)$/.exec(line);
    if (include) {
      out.push(...(await readRequirements(resolve(dirname(file), include[1]!))));
      continue;
    }
    const pin = /^([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*(?:==\s*([^\s;]+))?/.exec(line);
    if (pin) out.push({ name: pin[1]!, version: pin[2] ?? null });
  }
  return out;
}

/** Checks interpreter version and installed versions; prints one JSON object. Local build labels (`+cpu`) are ignored. */
export const PYTHON_CHECK_SNIPPET = [
  'import json, sys',
  'from importlib.metadata import version, PackageNotFoundError',
  'missing, mismatched = [], []',
  'for name, want in json.loads(sys.argv[1]):',
  '    try:',
  '        have = version(name)',
  '    except PackageNotFoundError:',
  '        missing.append(name)',
  '        continue',
  '    if want and have.split("+")[0] != want:',
  '        mismatched.append({"name": name, "want": want, "have": have})',
  'print(json.dumps({"python": ".".join(map(str, sys.version_info[:3])), "executable": sys.executable, "missing": missing, "mismatched": mismatched}))',
].join('\n');

export interface PythonCheck {
  python: string;
  executable: string;
  missing: string[];
  mismatched: { name: string; want: string; have: string }[];
}

export function parsePythonCheck(stdout: string, python: string): PythonCheck {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line) as PythonCheck;
    if (typeof parsed.python === 'string' && Array.isArray(parsed.missing)) return parsed;
  } catch {
    // fall through to the error below
  }
  throw new TrainerLaunchError(
    'python_missing',
    `${python} did not answer like a Python ${MIN_PYTHON.join('.')}+ interpreter (output: ${line.slice(0, 200) || 'none'}). ${SETUP_HINT}`,
  );
}

export function isTooOld(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]);
}

interface Captured {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Calls `onLine` with each complete line of the chunks it is fed (`\n`, `\r\n` or a lone `\r` end a line). */
export class LineSplitter {
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const lines = (this.partial + chunk).split(/\r?\n|\r/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) this.onLine(line);
  }

  end(): void {
    if (this.partial.trim()) this.onLine(this.partial);
    this.partial = '';
  }
}

/** Runs a command to completion; a missing executable becomes a `python_missing` failure. `onLine` gets stdout and stderr lines as they come. */
export function runCaptured(
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
): Promise<Captured> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const outLines = new LineSplitter(onLine ?? (() => undefined));
    const errLines = new LineSplitter(onLine ?? (() => undefined));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      outLines.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      errLines.push(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT' || error.code === 'EACCES'
          ? new TrainerLaunchError(
              'python_missing',
              `Python interpreter not found or not executable: ${command}. ${SETUP_HINT}`,
            )
          : error,
      );
    });
    child.on('close', (code) => {
      outLines.end();
      errLines.end();
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Interpreter version and which pinned packages it lacks. Throws `python_missing` / `python_too_old`. */
export async function checkPython(python: string, requirements: Requirement[]): Promise<PythonCheck> {
  const pins = JSON.stringify(requirements.map((r) => [r.name, r.version]));
  const result = await runCaptured(python, ['-c', PYTHON_CHECK_SNIPPET, pins]);
  if (result.code !== 0) {
    throw new TrainerLaunchError(
      'python_missing',
      `${python} could not run the trainer's environment check (exit ${String(result.code)}: ${result.stderr.trim().split('\n').pop() ?? ''}). It must be Python ${MIN_PYTHON.join('.')} or newer. ${SETUP_HINT}`,
    );
  }
  const check = parsePythonCheck(result.stdout, python);
  if (isTooOld(check.python)) {
    throw new TrainerLaunchError(
      'python_too_old',
      `${python} is Python ${check.python}; the trainer needs ${MIN_PYTHON.join('.')} or newer. ${SETUP_HINT}`,
    );
  }
  return check;
}

export function venvPython(dir: string): string {
  return process.platform === 'win32' ? join(dir, 'Scripts', 'python.exe') : join(dir, 'bin', 'python');
}

export interface EnsureVenvOptions {
  /** Interpreter that creates the venv (default `python3`, `python` on Windows). */
  basePython?: string;
  /** Extra `pip install` arguments, e.g. an index URL for CUDA wheels. */
  pipArgs?: string[];
}

export interface EnsureVenvResult {
  python: string;
  /** False when the venv already held every pinned version (nothing ran). */
  installed: boolean;
}

/**
 * Makes `dir` a venv holding the pinned requirements. Fast path: an existing venv whose packages
 * already match every pin is used as is. Otherwise creates it (if needed) and runs pip, passing
 * each progress line to `onProgress`. Throws TrainerLaunchError with what to do.
 */
export async function ensureVenv(
  dir: string,
  requirementsFile: string,
  onProgress: (line: string) => void,
  options: EnsureVenvOptions = {},
): Promise<EnsureVenvResult> {
  const requirements = await readRequirements(requirementsFile);
  const python = venvPython(dir);
  if (existsSync(python)) {
    const check = await checkPython(python, requirements).catch(() => null);
    if (check && !check.missing.length && !check.mismatched.length) {
      onProgress(`${dir} is up to date (Python ${check.python})`);
      return { python, installed: false };
    }
  } else {
    const base = options.basePython ?? (process.platform === 'win32' ? 'python' : 'python3');
    onProgress(`creating a Python environment in ${dir} with ${base}`);
    const created = await runCaptured(base, ['-m', 'venv', dir], undefined, onProgress).catch((error: unknown) => {
      if (error instanceof TrainerLaunchError) {
        throw new TrainerLaunchError(
          'python_missing',
          `Cannot create the trainer's Python environment: ${base} was not found. Install Python ${MIN_PYTHON.join('.')}+ or choose its path in the trainer settings.`,
        );
      }
      throw error;
    });
    if (created.code !== 0 || !existsSync(python)) {
      throw new TrainerLaunchError(
        'venv_failed',
        `${base} -m venv ${dir} failed (exit ${String(created.code)}): ${clause(created.stderr.slice(-500))}. On Debian/Ubuntu install python3-venv; or run scripts/setup-python.sh.`,
      );
    }
    await checkPython(python, []);
  }
  onProgress(`installing ${requirementsFile}`);
  const args = [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--progress-bar',
    'off',
    '--retries',
    '0',
    '--timeout',
    '5',
    '-r',
    requirementsFile,
    ...(options.pipArgs ?? []),
  ];
  const install = await runCaptured(python, args, undefined, onProgress);
  if (install.code !== 0) {
    throw new TrainerLaunchError(
      'venv_failed',
      `pip could not install the trainer's packages into ${dir} (exit ${String(install.code)}): ${clause(install.stderr.trim().split('\n').slice(-3).join(' '))}. Check the network or the package index, then try again.`,
    );
  }
  return { python, installed: true };
}
