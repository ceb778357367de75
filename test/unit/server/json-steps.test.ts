import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runSliced, runSync } from '../../../main/core/time-slices';
import { jsonPieces, jsonSteps, writePieces } from '../../../main/server/json-steps';
import { turnCounter, turnsDuring } from '../../support/turns';

/** The web door writes answers in steps (issue 9, point 3): the same text as JSON.stringify, with turns between. */
describe('JSON in steps', () => {
  it('writes exactly what JSON.stringify writes', () => {
    const values: unknown[] = [
      null,
      0,
      'text with "quotes", \\ and\nlines 😀',
      [],
      {},
      [1, undefined, () => 1, Symbol('s'), null, Number.NaN, Infinity, -0],
      { a: undefined, b: () => 1, c: Symbol('c'), d: [{ e: { f: { g: { h: [1, 2, { i: 3 }] } } } }] },
      { when: new Date(0), nested: { when: new Date(1) } },
      Object.assign(Object.create(null) as object, { bare: true, list: [1, 2] }),
      {
        result: {
          id: 'p1',
          chunks: Array.from({ length: 500 }, (_, i) => ({ id: `c${i}`, text: `Day ${i}.`, heading: null })),
        },
      },
      { '': 1, 'key "quoted"': 2, 10: 'numeric keys first', z: [[[[['deep']]]]] },
    ];
    for (const value of values) expect(runSync(jsonSteps(value))).toBe(JSON.stringify(value));
  });

  it('gives the event loop turns while it writes megabytes', async () => {
    const big = { result: { chunks: Array.from({ length: 20_000 }, (_, i) => ({ id: i, text: 'x'.repeat(300) })) } };
    const { result: text, turns } = await turnsDuring(() => runSliced(jsonSteps(big), 1));
    expect(text).toBe(JSON.stringify(big));
    expect(turns).toBeGreaterThan(2);
  });

  it('leaves megabytes in pieces of about 64 K characters, sent one slice at a time with turns between', async () => {
    const big = { result: { chunks: Array.from({ length: 20_000 }, (_, i) => ({ id: i, text: 'é'.repeat(300) })) } };
    const pieces = runSync(jsonPieces(big));
    expect(pieces.join('')).toBe(JSON.stringify(big));
    expect(pieces.length).toBeGreaterThan(50);
    // A piece closes once 64 K characters of values have passed (the keys and brackets between them add some).
    for (const piece of pieces) expect(piece.length).toBeLessThan(2 * 65_536);

    // Into a real stream: each piece is one write, and the writes are spread over turns of the loop.
    const out = new PassThrough();
    const written: { piece: string; turn: number }[] = [];
    const counter = turnCounter();
    out.on('data', (chunk: Buffer) => written.push({ piece: chunk.toString('utf8'), turn: counter.turns() }));
    const ended = new Promise((resolve) => out.on('end', resolve));
    await writePieces(out, pieces);
    await ended;
    counter.stop();
    expect(written.map((w) => w.piece).join('')).toBe(JSON.stringify(big));
    expect(new Set(written.map((w) => w.turn)).size).toBeGreaterThan(2);
  });
});
