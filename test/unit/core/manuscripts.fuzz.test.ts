import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StudioFailure } from '../../../main/core/errors';
import { MANUSCRIPT_LIMITS } from '../../../main/core/manuscripts/limits';
import { readManuscript } from '../../../main/core/manuscripts/read-manuscript';
import { writeDocx, writeEpub, xhtml } from '../../support/manuscripts';
import { writePdf } from '../../support/pdf-writer';
import { NO_HANG_MS } from '../../support/ceilings';

/**
 * Fuzzing the manuscript readers (issue 13, point 7): valid files damaged at random (bytes flipped,
 * runs overwritten, the file cut short) and plain noise. Each read must end within a second, with
 * text or with a StudioFailure that names the file; never with another error or a hang.
 */
const seeds: Record<string, Buffer> = {
  'fuzz.docx': writeDocx([
    { text: 'Chapter One', style: 'Heading1' },
    { text: 'Mary walked the shore at dawn.' },
    { text: 'Notes', style: 'Heading2' },
    { text: 'A second paragraph, short.' },
  ]),
  'fuzz.epub': writeEpub('Fuzz', [
    { file: 'a.xhtml', xhtml: xhtml('<h1>One</h1><p>First chapter text.</p>') },
    { file: 'b.xhtml', xhtml: xhtml('<h2>Two</h2><p>Second <em>chapter</em>.</p>') },
  ]),
  'fuzz.pdf': writePdf([
    [
      { text: 'Heading', y: 500, size: 18 },
      { text: 'Body text on the page.', y: 470 },
    ],
    [{ text: 'More text (with parens).', y: 470 }],
  ]),
};

const damage = (seed: Buffer) =>
  fc.oneof(
    fc
      .array(fc.tuple(fc.nat({ max: seed.length - 1 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 12,
      })
      .map((flips) => {
        const copy = Buffer.from(seed);
        for (const [at, byte] of flips) copy[at] = byte;
        return copy;
      }),
    fc.nat({ max: seed.length - 1 }).map((end) => seed.subarray(0, end)),
    fc.tuple(fc.nat({ max: seed.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([at, bytes]) => {
      const copy = Buffer.from(seed);
      copy.set(bytes.subarray(0, copy.length - at), at);
      return copy;
    }),
    fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.concat([seed.subarray(0, 8), Buffer.from(bytes)])),
  );

describe.each(Object.keys(seeds))('%s', (fileName) => {
  it('never crashes or hangs on damaged input', async () => {
    await fc.assert(
      fc.asyncProperty(damage(seeds[fileName]!), async (bytes) => {
        const started = performance.now();
        const outcome = await readManuscript(bytes, fileName, MANUSCRIPT_LIMITS).then(
          (text) => ({ text }),
          (error: unknown) => ({ error }),
        );
        expect(performance.now() - started).toBeLessThan(NO_HANG_MS);
        if ('error' in outcome) {
          expect(outcome.error).toBeInstanceOf(StudioFailure);
          expect((outcome.error as StudioFailure).message.startsWith(fileName)).toBe(true);
        } else {
          expect(typeof outcome.text).toBe('string');
        }
      }),
      { numRuns: 60, seed: 1313 },
    );
  });
});
