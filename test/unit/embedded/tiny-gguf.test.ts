import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTinyGguf, TINY_CHAT_TEMPLATE, writeTinyGguf } from '../../support/tiny-gguf';

const dir = mkdtempSync(join(tmpdir(), 'tiny-gguf-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tiny GGUF writer', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = buildTinyGguf({ seed: 7 });
    expect(a.equals(buildTinyGguf({ seed: 7 }))).toBe(true);
    expect(a.equals(buildTinyGguf({ seed: 8 }))).toBe(false);
  });

  it('writes a GGUF v3 file that node-llama-cpp parses, with aligned F32 tensors', async () => {
    const path = writeTinyGguf(join(dir, 'm.gguf'), {
      nEmbd: 32,
      nLayer: 1,
      nHead: 2,
      nFf: 64,
      contextLength: 512,
    });
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(bytes.readUInt32LE(4)).toBe(3);

    const info = await readGgufFileInfo(path, { logWarnings: false });
    expect(info.version).toBe(3);
    const meta = info.metadata;
    expect(meta.general.architecture).toBe('llama');
    expect(meta.general.alignment).toBe(32);
    const llama = info.architectureMetadata;
    expect(llama.embedding_length).toBe(32);
    expect(llama.block_count).toBe(1);
    expect(llama.context_length).toBe(512);
    expect(llama.attention?.head_count).toBe(2);

    const tok = meta.tokenizer;
    expect(tok.ggml.model).toBe('llama');
    expect(tok.chat_template).toBe(TINY_CHAT_TEMPLATE);
    const tokens = tok.ggml.tokens;
    const types = tok.ggml.token_type ?? [];
    expect(tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    const byteTokens = tokens.filter((t, i) => /^<0x[0-9A-F]{2}>$/.test(t) && Number(types[i]) === 6);
    expect(byteTokens).toHaveLength(256);
    expect(tokens.length).toBeGreaterThan(256 + 3 + 200);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tok.ggml.scores).toHaveLength(tokens.length);

    const tensors = info.tensorInfo ?? [];
    expect(tensors).toHaveLength(3 + 9);
    let end = 0;
    for (const t of tensors) {
      expect(t.ggmlType).toBe(0);
      expect(Number(t.fileOffset) % 32).toBe(0);
      const elements = t.dimensions.reduce<number>((n, d) => n * Number(d), 1);
      end = Math.max(end, Number(t.fileOffset) + elements * 4);
    }
    expect(Math.ceil(end / 32) * 32).toBe(bytes.length);
    const embd = tensors.find((t) => t.name === 'token_embd.weight');
    expect(embd?.dimensions.map(Number)).toEqual([32, tokens.length]);
  });

  it('rejects shapes llama.cpp would refuse, saying which numbers clash', () => {
    expect(() => buildTinyGguf({ nEmbd: 30, nHead: 4 })).toThrow(/nEmbd \(30\) must be divisible by nHead \(4\)/);
    expect(() => buildTinyGguf({ nHead: 4, nHeadKv: 3 })).toThrow(/nHeadKv \(3\) must divide nHead \(4\)/);
  });
});
