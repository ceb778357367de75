/**
 * Strict reading of a judge's answer: reasoning first, then the verdict (a score 1–7, or a pairwise
 * verdict `1` / `2` / `tie`) alone on the last line, normally repeated on the line before it (the
 * paper's form). Anything else is a failure with a reason, never a guessed number: the caller records
 * it, asks again a bounded number of times, and stores the judgment as unscored when it stays unread.
 *
 * The rule, line by line (blank lines ignored, `\r\n` as `\n`):
 * 1. A *verdict line* is a line that holds the verdict and nothing else. Allowed around it: spaces,
 *    markdown emphasis or code marks (`**5**`, `` `5` ``), brackets (`[[5]]`), one trailing full stop,
 *    and a label before it (`Score: 5`, `Final score - 5`, `Verdict: tie`); for scores also `/7` or
 *    `out of 7` after it (`5/7`). A number in a sentence ("I give it a 5") is not a verdict line.
 * 2. The last line must be a verdict line. If it is not: a verdict line among the last lines followed
 *    by text is `prose` (text after the verdict); a last line with a number in words is `prose`; no
 *    number at all is `missing`. A score outside 1–7 is `out_of_range`; a non-whole one `malformed`.
 * 3. Repeated form: the line before the last is a verdict line too. It must carry the same verdict,
 *    else `contradictory`.
 * 4. Not repeated: the last line alone is accepted only when unambiguous, i.e. rule 5 holds.
 * 5. No other verdict line anywhere in the answer may carry a different in-range verdict (a draft
 *    score in the reasoning that the judge then changed): that is `contradictory`. Lines whose number
 *    is out of range (a year alone on a line) are not read as verdicts there.
 * 6. Something must come before the verdict lines: an answer that is only the verdict is
 *    `no_reasoning` (the protocol asks the judge to reason first), except where the caller says the
 *    reasoning came earlier (`requireReasoning` false: a repair ask, see judge-ask.ts).
 */

export type ParseFailureReason =
  'empty' | 'missing' | 'prose' | 'out_of_range' | 'malformed' | 'contradictory' | 'no_reasoning';

export type Parsed<T> =
  | {
      ok: true;
      value: T;
      /** The answer without its verdict lines. */
      reasoning: string;
      /** Whether the verdict was repeated (the paper's form) or stood alone once. */
      repeated: boolean;
    }
  | { ok: false; reason: ParseFailureReason; message: string };

/** What one line says once its decoration is removed: a verdict, a bad verdict, or nothing of the kind. */
type LineRead<T> =
  { kind: 'value'; value: T } | { kind: 'bad'; reason: 'out_of_range' | 'malformed'; text: string } | null;

export type PairwiseVerdict = '1' | '2' | 'tie';

/** How many of the last lines are searched for a verdict followed by stray text. */
const TRAILING_LOOKBACK = 3;
const QUOTE_CHARS = 60;

const LABEL = /^(?:final\s+)?(?:score|verdict|rating|winner|answer)\s*(?:[:=–—-]\s*|\s+)?/i;

/** Removes the decoration rule 1 allows, leaving what should be the bare verdict. */
function core(line: string): string {
  let s = line.trim();
  for (let i = 0; i < 3; i++) {
    const before = s;
    s = s.replace(/^(\*\*|__|`|\*|_)(.*)\1$/, '$2').trim();
    s = s
      .replace(/^\[\[(.*)\]\]$/, '$1')
      .replace(/^\[(.*)\]$/, '$1')
      .trim();
    s = s.replace(LABEL, '').trim();
    s = s.replace(/\.$/, '').trim();
    if (s === before) break;
  }
  return s;
}

function readScoreLine(line: string): LineRead<number> {
  const m = /^([+-]?\d+(?:[.,]\d+)?)(?:\s*(?:\/|out\s+of)\s*7)?$/i.exec(core(line));
  if (!m) return null;
  const text = m[1]!;
  if (!/^[+-]?\d+$/.test(text)) return { kind: 'bad', reason: 'malformed', text };
  const n = Number(text);
  return n >= 1 && n <= 7 ? { kind: 'value', value: n } : { kind: 'bad', reason: 'out_of_range', text };
}

function readPairwiseLine(line: string): LineRead<PairwiseVerdict> {
  const s = core(line).toLowerCase();
  if (s === '1' || s === '2' || s === 'tie') return { kind: 'value', value: s };
  if (/^[+-]?\d+$/.test(s)) return { kind: 'bad', reason: 'out_of_range', text: s };
  return null;
}

function quote(line: string): string {
  const t = line.trim();
  return t.length > QUOTE_CHARS ? `"${t.slice(0, QUOTE_CHARS)}…"` : `"${t}"`;
}

function fail<T>(reason: ParseFailureReason, message: string): Parsed<T> {
  return { ok: false, reason, message };
}

function parseVerdict<T>(
  text: string,
  read: (line: string) => LineRead<T>,
  what: { noun: string; allowed: string },
  requireReasoning: boolean,
): Parsed<T> {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const filled = lines.map((l, i) => ({ l, i })).filter(({ l }) => l.trim() !== '');
  if (filled.length === 0) return fail('empty', 'The judge answered with nothing.');
  const last = filled.at(-1)!;
  const final = read(last.l);
  if (final === null) {
    const tail = filled.slice(-1 - TRAILING_LOOKBACK, -1);
    if (tail.some(({ l }) => read(l)?.kind === 'value'))
      return fail('prose', `The judge wrote text after its ${what.noun} (last line ${quote(last.l)}).`);
    if (/\d|\btie\b/i.test(last.l))
      return fail('prose', `The ${what.noun} is wrapped in words (${quote(last.l)}), not alone on its line.`);
    return fail('missing', `The answer ends without a ${what.noun} (last line ${quote(last.l)}).`);
  }
  if (final.kind === 'bad')
    return fail(
      final.reason,
      final.reason === 'out_of_range'
        ? `The ${what.noun} ${final.text} is outside ${what.allowed}.`
        : `The ${what.noun} ${final.text} is not a whole number in ${what.allowed}.`,
    );
  const value = final.value;
  const before = filled.at(-2);
  const previous = before ? read(before.l) : null;
  if (previous !== null && !(previous.kind === 'value' && previous.value === value)) {
    const shown = previous.kind === 'value' ? String(previous.value) : previous.text;
    return fail('contradictory', `The ${what.noun} is given as ${shown} and then as ${String(value)}.`);
  }
  const repeated = previous !== null;
  const verdictStart = repeated ? before!.i : last.i;
  for (const { l } of filled) {
    const r = read(l);
    if (r?.kind === 'value' && r.value !== value)
      return fail(
        'contradictory',
        `The answer gives two different ${what.noun}s: ${String(r.value)} (${quote(l)}) and finally ${String(value)}.`,
      );
  }
  const reasoning = lines.slice(0, verdictStart).join('\n').trim();
  if (reasoning === '' && requireReasoning)
    return fail('no_reasoning', `The judge gave only the ${what.noun}, without the reasoning asked for first.`);
  return { ok: true, value, reasoning, repeated };
}

/** A judge's answer on one dimension: a whole score from 1 to 7, or why it cannot be read. */
export function parseScore(text: string, requireReasoning = true): Parsed<number> {
  return parseVerdict(text, readScoreLine, { noun: 'score', allowed: '1–7' }, requireReasoning);
}

/** A pairwise judge's answer: `1` (the first shown is better), `2`, or `tie`. */
export function parsePairwiseVerdict(text: string, requireReasoning = true): Parsed<PairwiseVerdict> {
  return parseVerdict(text, readPairwiseLine, { noun: 'verdict', allowed: '1, 2 or tie' }, requireReasoning);
}
