import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes the paper's generated dialogue list (METHOD.md §4) of `n` items for Beethoven into `dir`
 * and returns its path: what `dataset/import` reads to build a character with scenes and no profile.
 */
export function writeDialogues(dir: string, n: number): string {
  const file = path.join(dir, 'generated_agent_dialogue_Beethoven.json');
  const item = (i: number) => ({
    setting: ['Bonn, 1782. The organ loft is cold.'],
    dialogue: [
      { role: 'Neefe', action: '(speaking)', content: `Play it again, ${i}.` },
      { role: 'Beethoven', action: '(speaking)', content: 'Yes, Herr Neefe.' },
    ],
    location: 'The court chapel',
    source: `seed_dialogue_${i}`,
  });
  fs.writeFileSync(file, JSON.stringify(Array.from({ length: n }, (_, i) => item(i))));
  return file;
}
