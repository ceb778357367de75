import type { ImportProvenance } from './contract';

/** Where an imported scene came from, for a person: "from data.jsonl, line 12 (seed_dialogue_3)". */
export function importedFromText(p: ImportProvenance): string {
  // The paper's generated files are JSON lists: their items are numbered, not their lines.
  const where = p.format === 'paper-dialogue' || p.format === 'paper-scenes' ? 'item' : 'line';
  return `from ${p.file}, ${where} ${p.line}${p.source ? ` (${p.source})` : ''}`;
}
