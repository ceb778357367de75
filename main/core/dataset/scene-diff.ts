import { diffLines, diffWords, type ChangeObject } from 'diff';
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
  { label: 'Turns', text: (d) => d.turns.map(turnLine).join('\n') },
];

function parts(changes: readonly ChangeObject<string>[]): DiffPart[] {
  return changes.map((c) => ({ text: c.value, change: c.added ? 'added' : c.removed ? 'removed' : 'same' }));
}

/**
 * Two scene documents compared section by section, word by word (jsdiff `diffWords`). A section
 * too large to compare by words in time (a rewrite of thousands of turns) is compared by lines.
 */
export function diffSceneDocs(from: SceneDoc, to: SceneDoc): DiffSection[] {
  return SECTIONS.map(({ label, text }) => {
    const a = text(from);
    const b = text(to);
    if (a === b) return { label, changed: false, parts: a === '' ? [] : [{ text: a, change: 'same' }] };
    const words = diffWords(a, b, { timeout: WORD_DIFF_TIMEOUT_MS });
    return { label, changed: true, parts: parts(words ?? diffLines(a, b)) };
  });
}
