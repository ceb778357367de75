import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePairwiseVerdict, parseScore, type ParseFailureReason } from '../../../main/core/eval/judge-parse';
import { pairOutcome } from '../../../common/pairwise-rule';
import { winnerOf } from '../../../main/core/eval/pairwise';

const REASONING = 'He names Neefe and the court orchestra in Bonn.\nThe details match the profile.';

describe('parseScore: accepted answers', () => {
  const cases: [string, string, number, boolean][] = [
    ['the paper form: alone and repeated', `${REASONING}\n\n5\n5`, 5, true],
    ['trailing blank lines and CRLF', `${REASONING}\r\n6\r\n6\r\n\r\n`, 6, true],
    ['labelled and repeated', `${REASONING}\nScore: 7\nScore: 7`, 7, true],
    ['markdown emphasis', `${REASONING}\n**3**\n**3**`, 3, true],
    ['a final full stop and /7', `${REASONING}\nFinal score: 4/7.\n4`, 4, true],
    ['brackets', `${REASONING}\n[[2]]\n[[2]]`, 2, true],
    ['once, unambiguous', `${REASONING}\n1`, 1, false],
    ['once with a label', `${REASONING}\nScore - 6`, 6, false],
    ['the same draft score earlier', `${REASONING}\nScore: 5\nChecking again, yes.\n5\n5`, 5, true],
    ['a year alone on a line in the reasoning', `He was born in\n1770\nwhich is right.\n6\n6`, 6, true],
  ];
  it.each(cases)('%s', (_name, text, score, repeated) => {
    const parsed = parseScore(text);
    expect(parsed).toMatchObject({ ok: true, value: score, repeated });
    if (parsed.ok) {
      expect(parsed.reasoning.trim().length).toBeGreaterThan(0);
      expect(parsed.reasoning).not.toMatch(/\n\s*\d\s*$/);
    }
  });

  it('keeps the reasoning apart from the score lines', () => {
    const parsed = parseScore(`${REASONING}\n5\n5`);
    expect(parsed.ok && parsed.reasoning).toBe(REASONING);
  });
});

describe('parseScore: failures with their reason', () => {
  const cases: [string, string, ParseFailureReason][] = [
    ['empty', '', 'empty'],
    ['only blank lines', ' \n\n\t\n', 'empty'],
    ['no score at all', REASONING, 'missing'],
    ['prose around the score', `${REASONING}\nI would give this answer a 5.`, 'prose'],
    ['prose around a repeated score', `${REASONING}\nThe score is 5.\nThe score is 5.`, 'prose'],
    ['score then prose after it', `${REASONING}\n5\n5\nI hope this helps!`, 'prose'],
    ['score in words', `${REASONING}\nScore: five out of seven, say 5`, 'prose'],
    ['out of range high', `${REASONING}\n8\n8`, 'out_of_range'],
    ['out of range zero', `${REASONING}\n0`, 'out_of_range'],
    ['out of range ten-point scale', `${REASONING}\nScore: 10`, 'out_of_range'],
    ['negative', `${REASONING}\n-3\n-3`, 'out_of_range'],
    ['a half point', `${REASONING}\n5.5\n5.5`, 'malformed'],
    ['a decimal comma', `${REASONING}\n4,5`, 'malformed'],
    ['two different final scores', `${REASONING}\n5\n6`, 'contradictory'],
    ['repeated line out of range', `${REASONING}\n9\n5`, 'contradictory'],
    ['a different draft score earlier', `${REASONING}\nScore: 3\nOn reflection it is better.\n6`, 'contradictory'],
    ['a different draft score earlier, repeated final', `Score: 2\n${REASONING}\n4\n4`, 'contradictory'],
    ['only the score', '5\n5', 'no_reasoning'],
    ['only one score', 'Score: 5', 'no_reasoning'],
  ];
  it.each(cases)('%s', (_name, text, reason) => {
    const parsed = parseScore(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reason).toBe(reason);
      expect(parsed.message.length).toBeGreaterThan(10);
    }
  });
});

describe('parseScore: properties', () => {
  it('never throws, and only ever reads a whole score from 1 to 7', () => {
    const pieces = fc.oneof(
      fc.string(),
      fc.integer({ min: -20, max: 20 }).map(String),
      fc.constantFrom('Score: ', '**', '\n', '\r\n', '/7', '.', ' ', '[[', ']]', 'tie', '5.5', 'out of 7'),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        const parsed = parseScore(parts.join(''));
        if (parsed.ok) {
          expect(Number.isInteger(parsed.value)).toBe(true);
          expect(parsed.value).toBeGreaterThanOrEqual(1);
          expect(parsed.value).toBeLessThanOrEqual(7);
        } else {
          expect(parsed.message).not.toBe('');
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads back any score written in the asked form after any reasoning without a lone number', () => {
    const line = fc.string({ minLength: 1 }).filter((s) => !/[\r\n]/.test(s) && /[a-z]/i.test(s) && !/\d/.test(s));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 7 }), (lines, n) => {
        const parsed = parseScore(`${lines.join('\n')}\n${n}\n${n}\n`);
        expect(parsed).toMatchObject({ ok: true, value: n, repeated: true });
      }),
    );
  });

  it('refuses a different second score, whatever the reasoning', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), (r, a, b) => {
        fc.pre(a !== b);
        expect(parseScore(`${r}\n${a}\n${b}`)).toMatchObject({ ok: false, reason: 'contradictory' });
      }),
    );
  });
});

describe('parsePairwiseVerdict', () => {
  it.each([
    [`${REASONING}\n1\n1`, '1'],
    [`${REASONING}\nAnswer 2\nAnswer 2`, '2'],
    [`${REASONING}\nTie\ntie`, 'tie'],
    [`${REASONING}\nVerdict: tie`, 'tie'],
  ])('reads %j', (text, verdict) => {
    expect(parsePairwiseVerdict(text)).toMatchObject({ ok: true, value: verdict });
  });

  it.each([
    [`${REASONING}\nAnswer 1 is clearly better.`, 'prose'],
    [`${REASONING}\n3\n3`, 'out_of_range'],
    [`${REASONING}\n1\n2`, 'contradictory'],
    [`${REASONING}`, 'missing'],
    ['1\n1', 'no_reasoning'],
  ])('refuses %j', (text, reason) => {
    expect(parsePairwiseVerdict(text)).toMatchObject({ ok: false, reason });
  });
});

describe('pairwise order swapping', () => {
  it('undoes the swap: position 1 is A when A was shown first and B otherwise', () => {
    expect(winnerOf('ab', '1')).toBe('a');
    expect(winnerOf('ab', '2')).toBe('b');
    expect(winnerOf('ba', '1')).toBe('b');
    expect(winnerOf('ba', '2')).toBe('a');
    expect(winnerOf('ba', 'tie')).toBe('tie');
  });

  it('a judge that always prefers the first answer shown is inconsistent, not a winner', () => {
    expect(pairOutcome(winnerOf('ab', '1'), winnerOf('ba', '1'))).toBe('inconsistent');
    expect(pairOutcome(winnerOf('ab', '1'), winnerOf('ba', '2'))).toBe('a');
    expect(pairOutcome(winnerOf('ab', 'tie'), winnerOf('ba', 'tie'))).toBe('tie');
    expect(pairOutcome(winnerOf('ab', 'tie'), null)).toBeNull();
  });
});
