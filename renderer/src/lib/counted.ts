/** "1 scene", "1,600 scenes": a count with its noun (plural by an s), grouped as en-US writes numbers. */
export function counted(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
