/**
 * Whether a UTF-16 code unit is white space as a regular expression's `\s` matches it, by code:
 * for scans that would otherwise run a regular expression per character, or build an array of
 * words to count them (profile chunking, the word counts stored with every experience).
 */
export function isSpaceCode(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}
