import { describe, expect, it } from 'vitest';
import type { DiffPart, SceneDoc, Turn } from '../../../common/contract';
import { diffSceneDocs } from '../../../main/core/dataset/scene-diff';

// The History's comparison of two revisions: fields word by word, the turns a turn at a time.

const doc = (turns: Turn[]): SceneDoc => ({
  type: 'Lesson',
  location: 'Bonn',
  time: '1783',
  background: 'Neefe hears the boy play.',
  people: ['Neefe'],
  experienceBackground: '',
  turns,
});
const neefe = (text: string): Turn => ({ speaker: 'Neefe', kind: 'speaking', text });
const ludwig = (text: string, kind: Turn['kind'] = 'speaking'): Turn => ({ speaker: 'Beethoven', kind, text });

const turnsOf = (from: SceneDoc, to: SceneDoc) => diffSceneDocs(from, to).find((s) => s.label === 'Turns')!;
/**
 * The text a side reads: the old one leaves out what was added, the new one what was removed (a
 * side that ends before the other's last line keeps that line's break).
 */
const side = (parts: DiffPart[], leave: DiffPart['change']) =>
  parts
    .filter((p) => p.change !== leave)
    .map((p) => p.text)
    .join('')
    .replace(/\n$/, '');
const lines = (d: SceneDoc) => d.turns.map((t) => `${t.speaker} (${t.kind}): ${t.text}`).join('\n');

describe('diffSceneDocs', () => {
  it('shows a removed turn as one whole line and an edited turn word by word, never across turns', () => {
    const from = doc([
      neefe('Good morning, Beethoven. Play the fugue.'),
      ludwig('Another visitor, and the light is already fading.', 'thinking'),
      ludwig('Ask, then.'),
    ]);
    const to = doc([neefe('Good morning, Ludwig. Play the fugue.'), ludwig('Ask, then.')]);
    const { changed, parts } = turnsOf(from, to);
    expect(changed).toBe(true);
    expect(parts).toEqual([
      { text: 'Neefe (speaking): Good morning, ', change: 'same' },
      { text: 'Beethoven', change: 'removed' },
      { text: 'Ludwig', change: 'added' },
      { text: '. Play the fugue.\n', change: 'same' },
      { text: 'Beethoven (thinking): Another visitor, and the light is already fading.\n', change: 'removed' },
      { text: 'Beethoven (speaking): Ask, then.', change: 'same' },
    ]);
    expect(side(parts, 'added')).toBe(lines(from));
    expect(side(parts, 'removed')).toBe(lines(to));
  });

  it('shows a turn rewritten from end to end as the old line, then the new one', () => {
    const from = doc([neefe('Good morning.'), ludwig('I know nothing of such things. Music is what I know.')]);
    const to = doc([neefe('Good morning.'), ludwig('Leave me alone!')]);
    expect(turnsOf(from, to).parts).toEqual([
      { text: 'Neefe (speaking): Good morning.\n', change: 'same' },
      { text: 'Beethoven (speaking): I know nothing of such things. Music is what I know.\n', change: 'removed' },
      { text: 'Beethoven (speaking): Leave me alone!', change: 'added' },
    ]);
  });

  it('keeps each side whole when turns are added at the ends and moved about', () => {
    const from = doc([ludwig('One.'), neefe('Two.'), ludwig('Three.')]);
    const to = doc([neefe('Zero.'), ludwig('Three.'), ludwig('One.'), neefe('Four.')]);
    const { parts } = turnsOf(from, to);
    expect(side(parts, 'added')).toBe(lines(from));
    expect(side(parts, 'removed')).toBe(lines(to));
    // No part mixes two turns' words with a change: every changed part is whole lines or within one.
    for (const p of parts.filter((x) => x.change !== 'same')) expect(p.text.replace(/\n$/, '')).not.toContain('\n(');
  });

  it('says nothing changed for equal turns, and compares the fields word by word', () => {
    const from = doc([neefe('Play.')]);
    const to = { ...doc([neefe('Play.')]), location: 'Bonn, the organ loft' };
    const sections = diffSceneDocs(from, to);
    expect(sections.find((s) => s.label === 'Turns')).toEqual({
      label: 'Turns',
      changed: false,
      parts: [{ text: 'Neefe (speaking): Play.', change: 'same' }],
    });
    expect(sections.find((s) => s.label === 'Location')?.parts).toEqual([
      { text: 'Bonn', change: 'same' },
      { text: ', the organ loft', change: 'added' },
    ]);
  });
});
