/**
 * llama.cpp's GGUF converters, offline, at the exact version the embedded runtime runs.
 *
 * node-llama-cpp ships, inside its npm package, a git bundle of the llama.cpp source its binaries
 * were built from (`node-llama-cpp/llama/gitRelease.bundle`). The converters in it
 * (`convert_hf_to_gguf.py`, `convert_lora_to_gguf.py`, their `conversion/` package and `gguf-py`)
 * therefore write files that exact runtime loads, and nothing is downloaded.
 *
 * Lifecycle: `unpackLlamaCppConverters` unpacks only those files once per bundle commit into
 * `<cacheDir>/<commit>/`, through a staging folder renamed into place when complete, and stamps it
 * (`character-studio-stamp.json`: commit, the bundle's sha256); later calls return the stamped folder
 * at once. Concurrent calls in one process share one unpacking; two processes racing each unpack
 * into their own staging folder and the first rename wins.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { StudioFailure } from '../errors';

const run = promisify(execFile);

export const STAMP = 'character-studio-stamp.json';
/** What the trainer needs from the source tree: the converters, their packages and requirement files. */
export const CONVERTER_PATHS = [
  'convert_hf_to_gguf.py',
  'convert_lora_to_gguf.py',
  'conversion',
  'gguf-py',
  'requirements',
  'requirements.txt',
  'LICENSE',
] as const;
const HEADER_BYTES = 4096;

export interface LlamaCppConverters {
  /** The folder holding the converters: the trainer's `export.llama_cpp_dir`. */
  root: string;
  /** The llama.cpp commit they come from (the bundle's HEAD). */
  commit: string;
}

/** The bundle inside the installed node-llama-cpp package. */
export function shippedBundle(): string {
  // The package exports no package.json: its main entry is <package>/dist/index.js.
  const entry = createRequire(import.meta.url).resolve('node-llama-cpp');
  return path.join(path.dirname(path.dirname(entry)), 'llama', 'gitRelease.bundle');
}

/**
 * The commit a git bundle holds, read from its text header (`# v2 git bundle`, then `<sha> <ref>`
 * lines up to a blank line, then the packfile): HEAD's, else the first ref's.
 */
export async function bundleCommit(bundle: string): Promise<string> {
  const handle = await fs.open(bundle, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new StudioFailure(
      'not_found',
      `The llama.cpp source that node-llama-cpp ships (${bundle}) cannot be read (${error.code ?? error.message}). ` +
        'Reinstall the studio, or set LLAMA_CPP_DIR to a llama.cpp checkout holding convert_hf_to_gguf.py.',
    );
  });
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    const lines = buffer.subarray(0, bytesRead).toString('latin1').split('\n');
    if (!/^# v[23] git bundle$/.test(lines[0] ?? '')) {
      throw new StudioFailure(
        'unsupported_file',
        `${bundle} is not a git bundle (its first line is not "# v2 git bundle").`,
      );
    }
    const refs: { sha: string; ref: string }[] = [];
    for (const line of lines.slice(1)) {
      if (line === '') break;
      const match = /^([0-9a-f]{40}) (.+)$/.exec(line);
      if (match) refs.push({ sha: match[1]!, ref: match[2]! });
    }
    const head = refs.find((r) => r.ref === 'HEAD') ?? refs[0];
    if (!head) throw new StudioFailure('unsupported_file', `The git bundle ${bundle} names no commit.`);
    return head.sha;
  } finally {
    await handle.close();
  }
}

const unpacking = new Map<string, Promise<LlamaCppConverters>>();

/**
 * The converters of `bundle` (default: node-llama-cpp's), unpacked once under `cacheDir`.
 * Needs `git` (`gitPath`, default `git` on PATH) the first time; says so clearly when it is missing.
 */
export async function unpackLlamaCppConverters(
  cacheDir: string,
  bundle: string = shippedBundle(),
  gitPath = 'git',
): Promise<LlamaCppConverters> {
  const commit = await bundleCommit(bundle);
  const root = path.join(cacheDir, commit);
  if (await stamped(root, commit)) return { root, commit };
  let pending = unpacking.get(root);
  if (!pending) {
    pending = unpack(bundle, commit, root, gitPath).finally(() => unpacking.delete(root));
    unpacking.set(root, pending);
  }
  return pending;
}

async function stamped(root: string, commit: string): Promise<boolean> {
  try {
    const stamp = JSON.parse(await fs.readFile(path.join(root, STAMP), 'utf8')) as { commit?: unknown };
    return stamp.commit === commit;
  } catch {
    return false;
  }
}

async function unpack(bundle: string, commit: string, root: string, gitPath: string): Promise<LlamaCppConverters> {
  await fs.mkdir(path.dirname(root), { recursive: true });
  const staging = await fs.mkdtemp(path.join(path.dirname(root), `.${commit.slice(0, 12)}-`));
  const gitDir = path.join(staging, 'git');
  const tree = path.join(staging, 'tree');
  try {
    await fs.mkdir(tree);
    const git = (args: string[]): Promise<unknown> => gitRun(gitPath, ['--git-dir', gitDir, ...args]);
    await gitRun(gitPath, ['init', '--quiet', '--bare', gitDir]);
    await git(['fetch', '--quiet', '--no-tags', bundle, 'HEAD']);
    await git(['--work-tree', tree, 'checkout', commit, '--', ...CONVERTER_PATHS]);
    const stamp = { commit, bundle, bundleSha256: await sha256Of(bundle), unpackedAt: new Date().toISOString() };
    await fs.writeFile(path.join(tree, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
    try {
      await fs.rename(tree, root);
    } catch (error) {
      // Another process won the race with a complete folder: use it. Anything else there is in the way.
      if (!(await stamped(root, commit))) throw error;
    }
    return { root, commit };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

async function gitRun(gitPath: string, args: string[]): Promise<void> {
  try {
    await run(gitPath, args, { maxBuffer: 1 << 20 });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new StudioFailure(
        'unavailable',
        `Converting to GGUF needs git, to unpack the llama.cpp source that ships with the studio, and "${gitPath}" ` +
          'was not found. Install git (git-scm.com; on macOS: xcode-select --install; on Linux: your package manager), ' +
          'or set LLAMA_CPP_DIR to a llama.cpp checkout holding convert_hf_to_gguf.py.',
      );
    }
    throw new StudioFailure(
      'unavailable',
      `Unpacking llama.cpp's converters failed (git ${args.filter((a) => !a.startsWith('/')).join(' ')}): ` +
        `${(failure.stderr ?? failure.message).trim()}. Reinstall the studio if its node-llama-cpp bundle is damaged, ` +
        'or set LLAMA_CPP_DIR to a llama.cpp checkout.',
    );
  }
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
