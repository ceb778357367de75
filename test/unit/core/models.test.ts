import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalModel, ModelsView } from '../../../common/contract';
import { readPartial } from '../../../main/core/models/model-download';
import { Studio } from '../../../main/core/studio';
import { runCliIn } from '../../support/cli';
import { startModelServer, type ModelServer, type ModelServerOptions } from '../../support/model-server';
import { tempDir } from '../../support/paths';
import { call, callError } from '../../support/studio';
import { buildTinyGguf, removeTinyGgufCache, tinyGgufPath } from '../../support/tiny-gguf';

/** Local models (issue 13, point 6): the curated list, downloads against a local server, files added by hand. */

// A tiny GGUF padded past two of the downloader's 5 MB pieces: its header still reads, and a cut
// in the second piece shows whether the download restarts from zero or from that piece.
const MODEL = Buffer.concat([buildTinyGguf(), Buffer.alloc(12 * 1024 * 1024, 7)]);
const PIECE = 5 * 1024 * 1024;
const MODEL_SHA = createHash('sha256').update(MODEL).digest('hex');
const REVISION = 'c0ffee'.padEnd(40, '0');

let data: ReturnType<typeof tempDir>;
let catalogDir: ReturnType<typeof tempDir>;
let server: ModelServer | null = null;
let studio: Studio | null = null;

const modelsDir = () => path.join(data.dir, 'models');

/** A download of `id` from a model server started with `options`: the studio, and how it failed. */
async function failedDownload(options: ModelServerOptions, id: string) {
  const host = await startModelServer(options);
  server = host;
  const s = open(host.baseUrl);
  return { s, host, error: await callError(s, 'models/download', { id }) };
}

function open(baseUrl: string): Studio {
  studio = new Studio({
    dataDir: data.dir,
    door: 'cli',
    version: 'test',
    modelCatalogDir: catalogDir.dir,
    modelBaseUrl: baseUrl,
  });
  return studio;
}

beforeEach(() => {
  data = tempDir('cs-models-');
  catalogDir = tempDir('cs-catalog-');
  fs.writeFileSync(
    path.join(catalogDir.dir, 'catalog.json'),
    JSON.stringify({
      models: [
        {
          id: 'tiny-q8',
          name: 'Tiny Random Llama (test)',
          repo: 'org/Tiny-GGUF',
          revision: null,
          file: 'tiny.gguf',
          sizeBytes: MODEL.length,
          licence: 'CC0-1.0',
          goodFor: 'tests',
          sha256: null,
        },
        {
          id: 'tiny-pinned',
          name: 'Tiny Pinned (test)',
          repo: 'org/Pinned-GGUF',
          revision: REVISION,
          file: 'pinned.gguf',
          sizeBytes: MODEL.length,
          licence: 'CC0-1.0',
          goodFor: 'tests',
          sha256: MODEL_SHA,
        },
      ],
    }),
  );
});
afterEach(async () => {
  studio?.close();
  studio = null;
  await server?.close();
  server = null;
  data.cleanup();
  catalogDir.cleanup();
});
afterAll(() => removeTinyGgufCache());

describe('download', () => {
  it('downloads with progress, continues after a cut from the piece that was cut, and checks the server sha256', async () => {
    server = await startModelServer({ body: MODEL, cutAt: PIECE + 1024 * 1024 });
    const s = open(server.baseUrl);
    const progress: number[] = [];
    s.events.subscribe((name, payload) => {
      if (name === 'models/progressed') progress.push((payload as { downloadedBytes: number }).downloadedBytes);
    });
    const model = await call(s, 'models/download', { id: 'tiny-q8' });
    expect(model).toMatchObject({
      id: 'tiny-q8',
      architecture: 'llama',
      check: 'sha256-server',
      sizeBytes: MODEL.length,
    });
    expect(model.sha256).toBe(createHash('sha256').update(MODEL).digest('hex'));
    expect(fs.readFileSync(model.path).equals(MODEL)).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(MODEL.length);
    // The cut piece was asked for again from its start; the first piece (fetched in parallel) once.
    const ranged = server.requests.filter((r) => r.method === 'GET' && r.range).map((r) => r.range);
    expect(ranged.filter((r) => r!.startsWith(`bytes=${PIECE}-`)).length).toBe(2);
    expect(ranged.filter((r) => r!.startsWith('bytes=0-')).length).toBe(1);
    const view = await call(s, 'models/list', {});
    expect(view.catalog[0]!.installed?.path).toBe(model.path);
    expect(view.local.map((m) => m.id)).toEqual(['tiny-q8']);
  });

  it('cancel stops the transfer, keeps the complete pieces, and the next download asks only for the rest', async () => {
    // The third piece hangs; the first two arrive whole.
    server = await startModelServer({ body: MODEL, holdAt: 2 * PIECE + 4096 });
    const s = open(server.baseUrl);
    const pending = callError(s, 'models/download', { id: 'tiny-q8' });
    await server.held;
    const during = (await call(s, 'models/list', {})).catalog[0]!;
    expect(during.downloading).toBe(true);
    await vi.waitFor(() => expect(readPartial(modelsDir(), 'tiny.gguf')?.downloadedBytes).toBe(2 * PIECE), {
      timeout: 10_000,
    });
    const cancelled = await call(s, 'models/cancel', { id: 'tiny-q8' });
    expect(cancelled).toEqual({
      cancelled: true,
      partial: {
        path: path.join(modelsDir(), 'tiny.gguf.ipull'),
        downloadedBytes: 2 * PIECE,
        totalBytes: MODEL.length,
      },
    });
    const error = await pending;
    expect(error.code).toBe('conflict');
    expect(error.message).toBe(
      `The download of Tiny Random Llama (test) was stopped. 10.0 MB of 12.8 MB are kept in ${path.join(modelsDir(), 'tiny.gguf.ipull')}; downloading it again continues from there (Settings › Models, or \`character-studio models download tiny-q8\`).`,
    );
    // The hung request was dropped by the client; no half model is listed or named as the model.
    const hung = server.requests.find((r) => r.method === 'GET' && r.range?.startsWith(`bytes=${2 * PIECE}-`));
    await vi.waitFor(() => expect(hung?.dropped).toBe(true), { timeout: 5_000 });
    expect(fs.existsSync(path.join(modelsDir(), 'tiny.gguf'))).toBe(false);
    const after = await call(s, 'models/list', {});
    expect(after.local).toEqual([]);
    expect(after.catalog[0]).toMatchObject({ installed: null, downloading: false, partial: cancelled.partial });
    expect(await call(s, 'models/cancel', { id: 'tiny-q8' })).toMatchObject({ cancelled: false });
    await server.close();

    // A later try (another studio on the same folder) continues with Range requests from byte N > 0.
    studio!.close();
    server = await startModelServer({ body: MODEL });
    const again = open(server.baseUrl);
    const model = await call(again, 'models/download', { id: 'tiny-q8' });
    expect(model).toMatchObject({ check: 'sha256-server', sha256: MODEL_SHA });
    expect(fs.readFileSync(model.path).equals(MODEL)).toBe(true);
    // ipull's first GET (no Range) only reads the answer's headers (size, range support); the
    // data comes in ranged GETs, which now start at the first missing piece.
    const ranged = server.requests.filter((r) => r.method === 'GET' && r.range !== null);
    expect(ranged.length).toBeGreaterThan(0);
    for (const get of ranged) expect(Number(/^bytes=(\d+)-/.exec(get.range!)![1])).toBeGreaterThanOrEqual(2 * PIECE);
    expect(ranged.reduce((sum, r) => sum + r.sentBytes, 0)).toBe(MODEL.length - 2 * PIECE);
    expect(readPartial(modelsDir(), 'tiny.gguf')).toBeNull();
    expect((await call(again, 'models/list', {})).catalog[0]).toMatchObject({ partial: null, downloading: false });
  });

  it('fetches the whole file once more when a download continued from kept pieces fails its checksum', async () => {
    server = await startModelServer({ body: MODEL, holdAt: 2 * PIECE + 4096 });
    const s = open(server.baseUrl);
    const pending = callError(s, 'models/download', { id: 'tiny-q8' });
    await server.held;
    await vi.waitFor(() => expect(readPartial(modelsDir(), 'tiny.gguf')?.downloadedBytes).toBe(2 * PIECE), {
      timeout: 10_000,
    });
    await call(s, 'models/cancel', { id: 'tiny-q8' });
    expect((await pending).code).toBe('conflict');
    await server.close();
    studio!.close();
    // Kept pieces whose bytes are not the file's (what a killed process can leave).
    const kept = fs.openSync(path.join(modelsDir(), 'tiny.gguf.ipull'), 'r+');
    fs.writeSync(kept, Buffer.alloc(4096, 0x55), 0, 4096, PIECE);
    fs.closeSync(kept);

    server = await startModelServer({ body: MODEL });
    const again = open(server.baseUrl);
    const model = await call(again, 'models/download', { id: 'tiny-q8' });
    expect(model).toMatchObject({ check: 'sha256-server', sha256: MODEL_SHA });
    expect(fs.readFileSync(model.path).equals(MODEL)).toBe(true);
    // First the missing pieces only, then, the check failed, the whole file from its first byte.
    const starts = server.requests
      .filter((r) => r.method === 'GET' && r.range !== null)
      .map((r) => Number(/^bytes=(\d+)-/.exec(r.range!)![1]));
    expect(starts[0]).toBeGreaterThanOrEqual(2 * PIECE);
    expect(starts).toContain(0);
    expect(readPartial(modelsDir(), 'tiny.gguf')).toBeNull();
  });

  it('a pinned model is fetched at its commit and checked against the pinned sha256 and size', async () => {
    server = await startModelServer({ body: MODEL });
    const s = open(server.baseUrl);
    const entry = (await call(s, 'models/list', {})).catalog[1]!;
    expect(entry.url).toBe(`${server.baseUrl}/org/Pinned-GGUF/resolve/${REVISION}/pinned.gguf`);
    const model = await call(s, 'models/download', { id: 'tiny-pinned' });
    expect(model).toMatchObject({ check: 'sha256-pinned', sha256: MODEL_SHA });
  });

  it('refuses before any transfer a host whose sha256 differs from the pin', async () => {
    const { s, host, error } = await failedDownload({ body: MODEL, claimedSha256: 'cd'.repeat(32) }, 'tiny-pinned');
    expect(error).toMatchObject({ code: 'invalid_argument' });
    expect(error.message).toBe(
      `127.0.0.1:${new URL(host.baseUrl).port} offers a pinned.gguf that is not the file the list pins (its sha256 is cdcdcdcdcdcd…, the list's ${MODEL_SHA.slice(0, 12)}…), so nothing was downloaded. The file was replaced upstream, or a mirror serves another one: check the model's page, then download it by hand and add it with "Add a .gguf file".`,
    );
    expect(host.requests.filter((r) => r.method === 'GET')).toEqual([]);
    expect((await call(s, 'models/list', {})).catalog[1]).toMatchObject({ installed: null, partial: null });
  });

  it('deletes a downloaded file whose sha256 differs from the pin when the host reports none', async () => {
    const altered = Buffer.from(MODEL);
    altered[altered.length - 1] = 0;
    const { s, error } = await failedDownload({ body: altered, claimedSha256: null }, 'tiny-pinned');
    expect(error.message).toMatch(
      new RegExp(
        `^The downloaded pinned\\.gguf does not match its checksum \\(sha256 [0-9a-f]{12}…, expected ${MODEL_SHA.slice(0, 12)}… as the list pins\\), so it was deleted`,
      ),
    );
    expect(fs.readdirSync(modelsDir()).filter((f) => f.startsWith('pinned'))).toEqual([]);
    expect((await call(s, 'models/list', {})).local).toEqual([]);
  });

  it('refuses a file whose sha256 is not what the server says, and deletes it', async () => {
    const { s, error } = await failedDownload({ body: MODEL, claimedSha256: 'ab'.repeat(32) }, 'tiny-q8');
    expect(error).toMatchObject({ code: 'invalid_argument' });
    expect(error.message).toMatch(
      /^The downloaded tiny\.gguf does not match its checksum \(sha256 [0-9a-f]{12}…, expected abababababab… as the server reports\), so it was deleted/,
    );
    expect(fs.existsSync(path.join(data.dir, 'models', 'tiny.gguf'))).toBe(false);
    expect((await call(s, 'models/list', {})).local).toEqual([]);
  });

  it('refuses a file whose size is not what the server says, and deletes it', async () => {
    const { error } = await failedDownload({ body: MODEL, claimedSize: MODEL.length + 1 }, 'tiny-q8');
    expect(error.message).toBe(
      `The downloaded tiny.gguf has ${MODEL.length} bytes, but the server said ${MODEL.length + 1}, so it was deleted. Download it again.`,
    );
    expect(fs.existsSync(path.join(data.dir, 'models', 'tiny.gguf'))).toBe(false);
  });

  it('offline: the list says why downloads cannot work and how to add a file by hand', async () => {
    // A port nothing listens on: the connection is refused at once.
    const closed = await startModelServer({ body: MODEL });
    await closed.close();
    const base = closed.baseUrl;
    const s = open(base);
    const view: ModelsView = await call(s, 'models/list', { check: true });
    expect(view.offline).toMatch(
      /^Downloads cannot work now: 127\.0\.0\.1:\d+ cannot be reached \(the connection was refused\)\. To add a model by hand: .*models add <file\.gguf>/,
    );
    expect(view.catalog[0]!.url).toBe(`${base}/org/Tiny-GGUF/resolve/main/tiny.gguf`);
    const error = await callError(s, 'models/download', { id: 'tiny-q8' });
    expect(error).toMatchObject({ code: 'unavailable' });
    expect(error.message).toMatch(
      /^Tiny Random Llama \(test\) could not be downloaded: the connection was refused\. To add a model by hand/,
    );
  });
});

describe('a file picked from disk', () => {
  it('is checked as GGUF by its magic and header, listed in place, and removed without deleting it', async () => {
    const s = open('http://127.0.0.1:9');
    const file = tinyGgufPath();
    const model: LocalModel = await call(s, 'models/add', { path: file });
    expect(model).toMatchObject({
      id: 'file:tiny-random-llama.gguf',
      path: file,
      architecture: 'llama',
      check: 'gguf-header',
    });
    expect((await call(s, 'models/list', {})).local).toHaveLength(1);
    await call(s, 'models/remove', { id: model.id });
    expect(fs.existsSync(file)).toBe(true);
    const text = path.join(data.dir, 'notes.gguf');
    fs.writeFileSync(text, 'not a model');
    expect((await callError(s, 'models/add', { path: text })).message).toMatch(
      /^notes\.gguf is not a GGUF model \(it does not start with "GGUF"\)/,
    );
    const cut = path.join(data.dir, 'cut.gguf');
    fs.writeFileSync(cut, MODEL.subarray(0, 40));
    expect((await callError(s, 'models/add', { path: cut })).message).toMatch(
      /^cut\.gguf starts like a GGUF model but its header cannot be read/,
    );
    expect((await call(s, 'models/list', {})).local).toEqual([]);
  });

  it('has the CLI face: models list, add and remove', async () => {
    const env = { ...process.env };
    process.env.CHARACTER_STUDIO_MODEL_BASE_URL = 'http://127.0.0.1:9';
    try {
      const added = await runCliIn(data.dir, ['models', 'add', tinyGgufPath()]);
      expect(added.err).toBe('');
      expect(added.out).toMatch(/^Added tiny-random-llama\.gguf \(llama, .*\) as file:tiny-random-llama\.gguf/);
      const listed = await runCliIn(data.dir, ['models', 'list']);
      expect(listed.out).toMatch(/file:tiny-random-llama\.gguf/);
      expect(listed.out).toMatch(/qwen2\.5-0\.5b-instruct-q4_k_m .*Apache-2\.0/);
      const removed = await runCliIn(data.dir, ['models', 'remove', 'file:tiny-random-llama.gguf', '--yes']);
      expect(removed.out).toMatch(/^Removed file:tiny-random-llama\.gguf/);
    } finally {
      process.env = env;
    }
  });
});
