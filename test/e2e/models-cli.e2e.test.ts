import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readPartial } from '../../main/core/models/model-download';
import { startModelServer, type ModelServer } from '../support/model-server';
import { repoRoot, tempDir } from '../support/paths';
import { buildTinyGguf } from '../support/tiny-gguf';

/**
 * `character-studio models download` as a user runs it (the built CLI in a child process) against a
 * local server standing in for Hugging Face: Ctrl-C stops it cleanly and keeps what it fetched, a
 * killed process keeps it too, and the next run continues with Range requests and checks the sha256.
 */
const ID = 'smollm2-1.7b-instruct-q4_k_m';
const FILE = `${ID}.gguf`;
const PIECE = 5 * 1024 * 1024;
const bin = path.join(repoRoot, 'bin', 'character-studio.cjs');
const BODY = Buffer.concat([buildTinyGguf(), Buffer.alloc(12 * 1024 * 1024, 7)]);

let data: ReturnType<typeof tempDir>;
let server: ModelServer;
const modelsDir = () => path.join(data.dir, 'models');

/** Starts `models download`; `progressed` resolves at its first progress line on stderr. */
function download() {
  const child = spawn(process.execPath, [bin, 'models', 'download', ID, '--data-dir', data.dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CHARACTER_STUDIO_MODEL_BASE_URL: server.baseUrl },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const progressed = new Promise<void>((resolve) =>
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      err += `${line}\n`;
      if (line.startsWith(`${ID}: `)) resolve();
    }),
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, progressed, exited, out: () => out, err: () => err };
}

/**
 * Waits until the stalled first try has its first two pieces complete on disk: recorded as such,
 * and their bytes in the file (the downloader may record a piece before its last write lands; a
 * process killed between the two leaves a piece the next run must fetch again, which the unit test
 * `models.test.ts` covers).
 */
async function twoPiecesKept(): Promise<void> {
  await server.held;
  await vi.waitFor(
    () => {
      const kept = readPartial(modelsDir(), FILE);
      expect(kept?.downloadedBytes).toBe(2 * PIECE);
      const bytes = Buffer.alloc(2 * PIECE);
      const fd = fs.openSync(kept!.path, 'r');
      try {
        fs.readSync(fd, bytes, 0, bytes.length, 0);
      } finally {
        fs.closeSync(fd);
      }
      expect(bytes.equals(BODY.subarray(0, 2 * PIECE))).toBe(true);
    },
    { timeout: 20_000 },
  );
}

/** The second run: it must ask only for the missing bytes and end with the verified file. */
async function resumes(): Promise<void> {
  server.release();
  const before = server.requests.length;
  const again = download();
  const { code } = await again.exited;
  expect(again.err()).not.toMatch(/Error/);
  expect(code).toBe(0);
  expect(again.out()).toMatch(
    new RegExp(
      `^Downloaded ${ID}  SmolLM2 1\\.7B Instruct \\(Q4_K_M\\) \\(llama, .*; sha256 checked against the server’s\\)`,
    ),
  );
  const ranged = server.requests.slice(before).filter((r) => r.method === 'GET' && r.range !== null);
  expect(ranged.length).toBeGreaterThan(0);
  for (const get of ranged) expect(Number(/^bytes=(\d+)-/.exec(get.range!)![1])).toBeGreaterThanOrEqual(2 * PIECE);
  expect(ranged.reduce((sum, r) => sum + r.sentBytes, 0)).toBe(BODY.length - 2 * PIECE);
  const file = fs.readFileSync(path.join(modelsDir(), FILE));
  expect(createHash('sha256').update(file).digest('hex')).toBe(createHash('sha256').update(BODY).digest('hex'));
  expect(readPartial(modelsDir(), FILE)).toBeNull();
}

beforeEach(async () => {
  data = tempDir('cs-e2e-models-cli-');
  server = await startModelServer({ body: BODY, holdAt: 2 * PIECE + 4096 });
});
afterEach(async () => {
  await server.close();
  data.cleanup();
});

describe('models download', () => {
  it('Ctrl-C stops it, keeps the partial file, says how to resume and exits 130; the next run resumes', async () => {
    const first = download();
    await first.progressed;
    await twoPiecesKept();
    first.child.kill('SIGINT');
    const { code } = await first.exited;
    expect(code).toBe(130);
    const kept = path.join(modelsDir(), `${FILE}.ipull`);
    expect(first.err()).toContain(
      `Stopping the download…\nThe download of SmolLM2 1.7B Instruct (Q4_K_M) was stopped. 10.0 MB of 12.8 MB are kept in ${kept}; downloading it again continues from there (Settings › Models, or \`character-studio models download ${ID}\`).\n`,
    );
    expect(fs.existsSync(kept)).toBe(true);
    expect(fs.existsSync(path.join(modelsDir(), FILE))).toBe(false);
    const listed = await promisify(execFile)(process.execPath, [bin, 'models', 'list', '--data-dir', data.dir], {
      env: { ...process.env, CHARACTER_STUDIO_MODEL_BASE_URL: server.baseUrl },
    });
    expect(listed.stdout).toContain(
      `    Stopped at 10.0 MB of 12.8 MB: \`models download ${ID}\` continues from there.\n`,
    );
    expect(listed.stdout).toContain('No local model yet.');
    await resumes();
  });

  it('a killed download keeps its pieces too, and the next run resumes from them', async () => {
    const first = download();
    await first.progressed;
    await twoPiecesKept();
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await resumes();
  });
});
