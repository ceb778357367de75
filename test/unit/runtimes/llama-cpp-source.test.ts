/**
 * llama.cpp's converters, unpacked offline from the git bundle node-llama-cpp ships in its npm
 * package (the real one), once per commit, with a stamp; and the clear failures around it.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bundleCommit,
  shippedBundle,
  STAMP,
  unpackLlamaCppConverters,
} from '../../../main/core/runtimes/llama-cpp-source';
import { tempDir } from '../../support/paths';

const work = tempDir('cs-llama-cpp-source-');
afterAll(() => work.cleanup());

describe('the converters node-llama-cpp ships', () => {
  it('are unpacked once, only what the trainer needs, into a stamped folder named by the commit', async () => {
    const cache = join(work.dir, 'cache');
    const commit = await bundleCommit(shippedBundle());
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    const first = await unpackLlamaCppConverters(cache);
    expect(first).toEqual({ root: join(cache, commit), commit });
    for (const file of [
      'convert_hf_to_gguf.py',
      'convert_lora_to_gguf.py',
      'gguf-py/gguf/__init__.py',
      'conversion/llama.py',
    ])
      expect(existsSync(join(first.root, file)), file).toBe(true);
    expect(existsSync(join(first.root, 'src'))).toBe(false); // not the C++ sources
    const stamp = JSON.parse(readFileSync(join(first.root, STAMP), 'utf8')) as Record<string, string>;
    expect(stamp.commit).toBe(commit);
    expect(stamp.bundleSha256).toMatch(/^[0-9a-f]{64}$/);
    // No staging folder is left behind.
    expect(readdirSync(cache)).toEqual([commit]);

    // Stamped: later calls return it without running git at all (here: a git that does not exist).
    const again = await unpackLlamaCppConverters(cache, shippedBundle(), join(work.dir, 'no-git'));
    expect(again).toEqual(first);
  }, 120_000);

  it('says what to do when git is missing, and when the bundle is not one', async () => {
    await expect(
      unpackLlamaCppConverters(join(work.dir, 'other'), shippedBundle(), join(work.dir, 'no-git')),
    ).rejects.toThrow(/needs git.*was not found\. Install git.*or set LLAMA_CPP_DIR/);
    const fake = join(work.dir, 'fake.bundle');
    writeFileSync(fake, 'PK\u0003\u0004 not a bundle');
    await expect(unpackLlamaCppConverters(join(work.dir, 'other'), fake)).rejects.toThrow(/is not a git bundle/);
    await expect(unpackLlamaCppConverters(join(work.dir, 'other'), join(work.dir, 'missing.bundle'))).rejects.toThrow(
      /cannot be read \(ENOENT\)\. Reinstall the studio, or set LLAMA_CPP_DIR/,
    );
  });
});
