/** The noun for `n` of a thing: `plural(1, 'chunk')` is "chunk", `plural(3, 'chunk')` "chunks". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/**
 * A count with its noun, grouped as en-US writes numbers: "1 scene", "1,600 scenes". Every door
 * writes its counts so (the CLI's lines and the screens' toasts say the same).
 */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${plural(n, one, many)}`;
}
