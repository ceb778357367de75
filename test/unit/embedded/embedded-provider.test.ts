/**
 * The embedded provider against a real node-llama-cpp runtime and a real (tiny, random-weight)
 * GGUF model written by `test/support/tiny-gguf.ts`. CPU only, one thread (see `TEST_THREADS`).
 *
 * What random weights allow us to assert: structure, not meaning. Greedy decoding is
 * deterministic, and the tiny model's EOS logit is pinned at 0 (see tiny-gguf.ts), so an
 * unconstrained greedy reply always runs to `maxTokens`.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EmbeddedProvider } from '../../../main/core/llm/embedded-provider';
import { LlmError, type CompletionRequest } from '../../../main/core/llm/types';
import { removeTinyGgufCache, TEST_THREADS, tinyGgufPath } from '../../support/tiny-gguf';
import { PROMPT_MS } from '../../support/ceilings';

/**
 * Per test. Each generated token passes between node-llama-cpp's JS loop and its native worker,
 * and on a machine whose cores are all busy every hand-over waits for a scheduler slot: a 400-token
 * grammar reply that takes 2 s on a quiet machine took over 30 s with both cores saturated. The
 * work is kept small (few tokens, one thread); the limit leaves room for such a machine.
 */
const TIMEOUT = 120_000;
const never = (): AbortSignal => new AbortController().signal;

const sceneSchema = {
  type: 'object',
  properties: {
    scenes: {
      type: 'array',
      minItems: 1,
      maxItems: 2,
      items: {
        type: 'object',
        properties: {
          type: { type: 'string', maxLength: 16 },
          location: { type: 'string', maxLength: 24 },
          background: { type: 'string', maxLength: 40 },
          people: {
            type: 'array',
            minItems: 1,
            maxItems: 3,
            items: { type: 'string', maxLength: 16 },
          },
        },
        required: ['type', 'location', 'background', 'people'],
      },
    },
  },
  required: ['scenes'],
} as const;

/**
 * A string of at most `max` characters as the grammar counts them. Random weights emit stray
 * byte-fallback tokens, i.e. invalid UTF-8; llama.cpp's grammar counts such a run as one
 * character while the JS decoder turns each bad byte into U+FFFD, so those are left out here.
 */
const grammarString = (max: number) =>
  z.string().refine((s) => [...s.replace(/\uFFFD/g, '')].length <= max, `longer than ${max} characters`);

/** Mirrors `sceneSchema`, to validate what the model wrote. */
const Scenes = z.strictObject({
  scenes: z
    .array(
      z.strictObject({
        type: grammarString(16),
        location: grammarString(24),
        background: grammarString(40),
        people: z.array(grammarString(16)).min(1).max(3),
      }),
    )
    .min(1)
    .max(2),
});

/** The same shape declared in zod; its `z.toJSONSchema` output is what pipeline code will send. */
const ZodScenes = z.object({
  scenes: z
    .array(
      z.object({
        type: z.enum(['chat', 'monologue', 'letter']),
        location: z.string().max(24),
        time: z.string().max(10).nullable(),
        known: z.union([z.boolean(), z.string().max(8)]),
        people: z.array(z.string().max(16)).min(1).max(3),
      }),
    )
    .min(1)
    .max(2),
});

async function rejection(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LlmError);
    return error as LlmError;
  }
  throw new Error('expected the promise to reject');
}

describe('EmbeddedProvider on a tiny random GGUF', () => {
  let provider: EmbeddedProvider;
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'embedded-provider-'));
    // A fixed seed keeps the sampled (temperature > 0) cases reproducible.
    provider = new EmbeddedProvider({
      modelPath: tinyGgufPath(),
      threads: TEST_THREADS,
      gpuLayers: 0,
      contextSize: 1024,
      seed: 42,
    });
  });

  afterAll(async () => {
    await provider.dispose();
    removeTinyGgufCache();
    rmSync(scratch, { recursive: true, force: true });
  });

  it(
    'completes a chat and counts prompt and completion tokens',
    async () => {
      const req: CompletionRequest = {
        messages: [
          { role: 'system', content: 'You are Beethoven.' },
          { role: 'user', content: 'hello' },
        ],
        maxTokens: 16,
      };
      const short = await provider.complete(req, never());
      expect(short.text.length).toBeGreaterThan(0);
      expect(short.model).toBe('tiny-random-llama');
      expect(short.usage.completionTokens).toBe(16);
      expect(short.latencyMs).toBeGreaterThan(0);

      // Each " word" below is exactly one piece of the tiny vocabulary.
      const longer = await provider.complete(
        {
          ...req,
          messages: [req.messages[0]!, { role: 'user', content: 'hello the old king' }],
        },
        never(),
      );
      expect(longer.usage.promptTokens - short.usage.promptTokens).toBe(3);
      // The rendered template adds BOS, role headers and an EOS per turn around the contents.
      expect(short.usage.promptTokens).toBeGreaterThan(10);
    },
    TIMEOUT,
  );

  it(
    'is deterministic at temperature 0 and reuses the sequence across calls',
    async () => {
      const req: CompletionRequest = {
        messages: [{ role: 'user', content: 'the king' }],
        maxTokens: 12,
        temperature: 0,
      };
      const a = await provider.complete(req, never());
      const b = await provider.complete(req, never());
      expect(b.text).toBe(a.text);
      expect(b.usage).toEqual(a.usage);
    },
    TIMEOUT,
  );

  it(
    'stops with finishReason "length" when maxTokens cuts the reply',
    async () => {
      const result = await provider.complete({ messages: [{ role: 'user', content: 'talk' }], maxTokens: 5 }, never());
      expect(result.finishReason).toBe('length');
      expect(result.usage.completionTokens).toBe(5);
    },
    TIMEOUT,
  );

  it(
    'ends at a stop string, leaving it out of the text',
    async () => {
      const messages: CompletionRequest['messages'] = [{ role: 'user', content: 'speak of rome' }];
      const full = await provider.complete({ messages, maxTokens: 40 }, never());
      // A stop string from the middle of the greedy reply: the same reply must end just before it.
      // Not one holding U+FFFD: random weights emit stray bytes that decode to it, and which bytes
      // stand behind one is not in the text (the reply here holds several, none at its middle by chance).
      let cut = Math.floor(full.text.length / 2);
      while (full.text.slice(cut, cut + 3).includes('\uFFFD')) cut++;
      const stop = full.text.slice(cut, cut + 3);
      expect(stop).toHaveLength(3);
      const expected = full.text.slice(0, full.text.indexOf(stop));
      const stopped = await provider.complete({ messages, maxTokens: 40, stop: [stop] }, never());
      expect(stopped.finishReason).toBe('stop');
      expect(stopped.text).toBe(expected);
      expect(stopped.usage.completionTokens).toBeLessThan(full.usage.completionTokens);
    },
    TIMEOUT,
  );

  it(
    'writes JSON that parses and matches the scenes schema, even on random weights',
    async () => {
      for (const temperature of [0, 0.9]) {
        const result = await provider.complete(
          {
            messages: [
              { role: 'system', content: 'Write scenes as JSON.' },
              { role: 'user', content: 'Beethoven in Vienna' },
            ],
            jsonSchema: { name: 'scenes', schema: sceneSchema },
            temperature,
            topP: 0.95,
            maxTokens: 400,
          },
          never(),
        );
        expect(result.finishReason).toBe('stop');
        const parsed: unknown = JSON.parse(result.text);
        expect(Scenes.safeParse(parsed).error).toBeUndefined();
      }
    },
    TIMEOUT,
  );

  it(
    'accepts a JSON schema generated by zod ($schema, additionalProperties, enum, anyOf for unions)',
    async () => {
      const jsonSchema = z.toJSONSchema(ZodScenes);
      expect(JSON.stringify(jsonSchema)).toContain('"anyOf"');
      const result = await provider.complete(
        {
          messages: [{ role: 'user', content: 'scene' }],
          jsonSchema: { name: 'scenes', schema: jsonSchema },
          maxTokens: 400,
        },
        never(),
      );
      expect(result.finishReason).toBe('stop');
      const parsed = z
        .object({
          scenes: z
            .array(
              z.strictObject({
                type: z.enum(['chat', 'monologue', 'letter']),
                location: grammarString(24),
                time: grammarString(10).nullable(),
                known: z.union([z.boolean(), grammarString(8)]),
                people: z.array(grammarString(16)).min(1).max(3),
              }),
            )
            .min(1)
            .max(2),
        })
        .strict()
        .safeParse(JSON.parse(result.text));
      expect(parsed.error).toBeUndefined();
    },
    TIMEOUT,
  );

  it(
    'rejects a JSON schema it cannot turn into a grammar, saying where and what to use',
    async () => {
      for (const [schema, where] of [
        [
          { type: 'object', properties: { when: { type: 'date-time-ish' } } },
          /at \$\.properties\.when: unknown type "date-time-ish"/,
        ],
        [{ type: 'array', items: {} }, /at \$\.items: the schema does not say what the value is/],
        [{ allOf: [{ type: 'string' }, { maxLength: 3 }] }, /"allOf" is supported only with a single schema/],
      ] as const) {
        const error = await rejection(
          provider.complete(
            {
              messages: [{ role: 'user', content: 'x' }],
              jsonSchema: { name: 'bad', schema },
              maxTokens: 5,
            },
            never(),
          ),
        );
        expect(error.code).toBe('bad_request');
        expect(error.message).toMatch(/JSON schema could not be turned into a grammar/);
        expect(error.message).toMatch(where);
      }
    },
    TIMEOUT,
  );

  it(
    'stops quickly and rejects with "cancelled" when aborted mid-generation, then keeps working',
    async () => {
      const controller = new AbortController();
      const started = performance.now();
      const pending = provider.complete(
        { messages: [{ role: 'user', content: 'talk' }], maxTokens: 900 },
        controller.signal,
      );
      setTimeout(() => controller.abort(), 300);
      const error = await rejection(pending);
      // Cancelled, not a finished 900-token reply; and soon after the abort, not at the end of one.
      expect(error.code).toBe('cancelled');
      expect(performance.now() - started).toBeLessThan(PROMPT_MS);

      const after = await provider.complete({ messages: [{ role: 'user', content: 'talk' }], maxTokens: 3 }, never());
      expect(after.usage.completionTokens).toBe(3);
    },
    TIMEOUT,
  );

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(provider.complete({ messages: [{ role: 'user', content: 'x' }] }, controller.signal));
    expect(error.code).toBe('cancelled');
  });

  it(
    'queues calls beyond the sequence pool and answers all of them',
    async () => {
      const req: CompletionRequest = {
        messages: [{ role: 'user', content: 'the king' }],
        maxTokens: 6,
      };
      const results = await Promise.all([1, 2, 3].map(() => provider.complete(req, never())));
      expect(results.map((r) => r.usage.completionTokens)).toEqual([6, 6, 6]);
      expect(new Set(results.map((r) => r.text)).size).toBe(1);
    },
    TIMEOUT,
  );

  it(
    'refuses a prompt longer than the context, saying how to fix it',
    async () => {
      const words = Array.from({ length: 1500 }, () => 'king').join(' ');
      const error = await rejection(
        provider.complete({ messages: [{ role: 'user', content: words }], maxTokens: 4 }, never()),
      );
      expect(error.code).toBe('bad_request');
      expect(error.message).toMatch(/context holds only \d+.*raise the context size/);
    },
    TIMEOUT,
  );

  it(
    'lists its one model and passes its own connection test',
    async () => {
      expect(await provider.listModels(never())).toEqual(['tiny-random-llama']);
      const report = await provider.test(never());
      expect(report.ok).toBe(true);
      expect(report.steps.map((s) => [s.name, s.ok])).toEqual([
        ['model-available', true],
        ['completion', true],
      ]);
      expect(report.steps[0]?.message).toMatch(/llama, context \d+ tokens/);
    },
    TIMEOUT,
  );

  it('says the file does not exist and what to do, for a bogus path', async () => {
    const missing = join(scratch, 'nope', 'model.gguf');
    const bogus = new EmbeddedProvider({
      modelPath: missing,
      threads: TEST_THREADS,
      gpuLayers: 0,
    });
    const error = await rejection(bogus.complete({ messages: [{ role: 'user', content: 'x' }] }, never()));
    expect(error.code).toBe('not_found');
    expect(error.message).toContain(missing);
    expect(error.message).toMatch(/does not exist.*Choose an existing \.gguf file/);

    const report = await bogus.test(never());
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('not_found');
    expect(report.steps).toHaveLength(1);
    await expect(bogus.listModels(never())).rejects.toMatchObject({
      code: 'not_found',
    });
    await bogus.dispose();
  });

  it('says a non-GGUF file is not a GGUF model and how to get one', async () => {
    const path = join(scratch, 'model.safetensors');
    writeFileSync(path, '{"__metadata__": {}}');
    const provider2 = new EmbeddedProvider({
      modelPath: path,
      threads: TEST_THREADS,
      gpuLayers: 0,
    });
    const error = await rejection(provider2.complete({ messages: [{ role: 'user', content: 'x' }] }, never()));
    expect(error.code).toBe('bad_request');
    expect(error.message).toMatch(/is not a GGUF model file.*convert_hf_to_gguf\.py/);

    const folder = new EmbeddedProvider({
      modelPath: scratch,
      threads: TEST_THREADS,
      gpuLayers: 0,
    });
    await expect(folder.complete({ messages: [{ role: 'user', content: 'x' }] }, never())).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/is not a file/),
    });
  });

  it(
    'says a truncated GGUF could not be loaded, and recovers once the file is fixed',
    async () => {
      const path = join(scratch, 'broken.gguf');
      writeFileSync(path, readFileSync(tinyGgufPath()).subarray(0, 4096));
      const broken = new EmbeddedProvider({
        modelPath: path,
        threads: TEST_THREADS,
        gpuLayers: 0,
        contextSize: 512,
      });
      const error = await rejection(
        broken.complete({ messages: [{ role: 'user', content: 'x' }], maxTokens: 2 }, never()),
      );
      expect(error.code).toBe('bad_request');
      expect(error.message).toMatch(/could not be loaded: .+download it again/);

      // A failed load is not cached.
      copyFileSync(tinyGgufPath(), path);
      const ok = await broken.complete({ messages: [{ role: 'user', content: 'x' }], maxTokens: 2 }, never());
      expect(ok.usage.completionTokens).toBe(2);
      await broken.dispose();
      await expect(broken.complete({ messages: [{ role: 'user', content: 'x' }] }, never())).rejects.toMatchObject({
        code: 'cancelled',
      });
    },
    TIMEOUT,
  );
});
