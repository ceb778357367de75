/** The noun for `n` of a thing: `plural(1, 'chunk')` is "chunk", `plural(3, 'chunk')` "chunks". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}
