/** "Ludwig van Beethoven" → "Beethoven"; "Jane Eyre" → "Eyre" is wrong for fiction, so users can edit. */
export function suggestShortName(fullName: string): string {
  const words = fullName.trim().split(/\s+/).filter(Boolean);
  return words.at(-1)?.replace(/[():]/g, '') ?? '';
}
