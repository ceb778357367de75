import { diffArrays, diffLines, diffWords, type ChangeObject } from 'diff';
import type { DiffPart, DiffSection, SceneDoc, Turn } from '../../../common/contract';

/** Longest a word diff of one section may take (ms) before it falls back to whole lines. */
const WORD_DIFF_TIMEOUT_MS = 1500;

/** A turn as a person reads it in a diff: one line, `Speaker (kind): text`. */
function turnLine(turn: Turn): string {
  return `${turn.speaker} (${turn.kind}): ${turn.text.replace(/\s*\n\s*/g, ' ')}`;
}

const SECTIONS: readonly { label: string; text: (doc: SceneDoc) => string }[] = [
  { label: 'Type', text: (d) => d.type },
  { label: 'Location', text: (d) => d.location },
  { label: 'Time', text: (d) => d.time },
  { label: 'People', text: (d) => d.people.join(', ') },
  { label: 'Background', text: (d) => d.background },
  { label: 'Experience background', text: (d) => d.experienceBackground },
];

/** How much of a changed turn must stay for it to be shown as edited, word by word, not replaced. */
const KEPT_FOR_AN_EDIT = 0.4;

function parts(changes: readonly ChangeObject<string>[]): DiffPart[] {
  return changes.map((c) => ({ text: c.value, change: c.added ? 'added' : c.removed ? 'removed' : 'same' }));
}

/**
 * Two scene documents compared section by section, word by word (jsdiff `diffWords`). A section
 * too large to compare by words in time (a rewrite of thousands of turns) is compared by lines.
 * The turns are compared a turn at a time (`diffTurns`).
 */
export function diffSceneDocs(from: SceneDoc, to: SceneDoc): DiffSection[] {
  const fields = SECTIONS.map(({ label, text }) => {
    const a = text(from);
    const b = text(to);
    if (a === b) return { label, changed: false, parts: a === '' ? [] : [{ text: a, change: 'same' as const }] };
    const words = diffWords(a, b, { timeout: WORD_DIFF_TIMEOUT_MS });
    return { label, changed: true, parts: parts(words ?? diffLines(a, b)) };
  });
  const a = from.turns.map(turnLine);
  const b = to.turns.map(turnLine);
  const same = a.length === b.length && a.every((line, i) => line === b[i]);
  const turns: DiffSection = same
    ? { label: 'Turns', changed: false, parts: a.length === 0 ? [] : [{ text: a.join('\n'), change: 'same' }] }
    : { label: 'Turns', changed: true, parts: diffTurns(a, b) };
  return [...fields, turns];
}

/**
 * The turns compared as lines first, so a change never runs from one turn into the next: a turn
 * added or removed is one whole line; a removed turn followed by an added one at the same place is
 * an edit, compared word by word, when enough of it stays (`KEPT_FOR_AN_EDIT`), else a replacement.
 * Reading the parts that are not added gives the old turns, a line each; those not removed, the new
 * (each perhaps with one more break at its end).
 */
function diffTurns(a: readonly string[], b: readonly string[]): DiffPart[] {
  const lines = diffArrays([...a], [...b], { timeout: WORD_DIFF_TIMEOUT_MS });
  if (!lines) return parts(diffLines(a.join('\n'), b.join('\n')));
  const out: DiffPart[] = [];
  const push = (text: string, change: DiffPart['change']) => {
    const last = out.at(-1);
    if (last && last.change === change) last.text += text;
    else if (text !== '') out.push({ text, change });
  };
  const whole = (texts: readonly string[], change: DiffPart['change']) => {
    for (const text of texts) push(`${text}\n`, change);
  };
  for (let i = 0; i < lines.length; i++) {
    const change = lines[i]!;
    const next = lines[i + 1];
    if (!(change.removed && next?.added)) {
      whole(change.value, change.added ? 'added' : change.removed ? 'removed' : 'same');
      continue;
    }
    const paired = Math.min(change.value.length, next.value.length);
    for (let k = 0; k < paired; k++) {
      const before = change.value[k]!;
      const after = next.value[k]!;
      const words = diffWords(before, after, { timeout: WORD_DIFF_TIMEOUT_MS });
      const kept = words?.reduce((n, w) => (w.added || w.removed ? n : n + w.value.trim().length), 0) ?? 0;
      if (words && kept >= KEPT_FOR_AN_EDIT * Math.max(before.length, after.length)) {
        for (const w of words) push(w.value, w.added ? 'added' : w.removed ? 'removed' : 'same');
        push('\n', 'same');
      } else {
        whole([before], 'removed');
        whole([after], 'added');
      }
    }
    whole(change.value.slice(paired), 'removed');
    whole(next.value.slice(paired), 'added');
    i++;
  }
  // The last line's break is no part of the text. (A side whose last line is followed by the
  // other side's keeps its break: the two are shown one under the other.)
  const last = out.at(-1);
  if (last) last.text = last.text.replace(/\n$/, '');
  return out.filter((p) => p.text !== '');
}
