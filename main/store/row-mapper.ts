/**
 * One mapper from a SQLite row (snake_case columns) to its contract shape (camelCase fields), for
 * the repositories whose rows map column for column. Each column of the row type is named with how
 * it reads, so a column added to the row is a type error until someone decides:
 *
 * - `'value'`: as stored;
 * - `'json'`: JSON text, parsed (NULL stays null);
 * - `'flag'`: an INTEGER 0/1, as a boolean;
 * - `'skip'`: stays out of the contract shape (a column only SQL uses, such as `archived_at`).
 *
 * Columns a `SELECT *` returns beyond the row type (say, a count kept for an index) never reach
 * the contract shape: only the columns named are read. The type check holds the result to the
 * contract: the same field names, and each field's type a narrowing of what the column reads as
 * (a branded id of a TEXT column, a typed array of a JSON one).
 */
export type ColumnRead = 'value' | 'json' | 'flag' | 'skip';

type Camel<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

type ColumnsOf<Row> = { readonly [K in keyof Row & string]: ColumnRead };

/** What the named columns read as, under their camelCase names. */
type Read<Row, C extends ColumnsOf<Row>> = {
  [K in keyof Row & string as C[K] extends 'skip' ? never : Camel<K>]: C[K] extends 'flag'
    ? boolean
    : C[K] extends 'json'
      ? unknown
      : Row[K];
};

/**
 * The contract fields the columns do not give: missing, extra (read but not in the contract), or
 * read as a type the field does not narrow. `never` when the columns fit the contract.
 */
type Misfits<Out, R> =
  | Exclude<keyof R, keyof Out>
  | { [K in keyof Out]-?: K extends keyof R ? (Out[K] extends R[K] ? never : K) : K }[keyof Out];

/**
 * The mapper of one row type to one contract type: `rowMapper<Row, Contract>()({column: read, …})`
 * (curried so the column reads are inferred exactly while the two types are named).
 */
export function rowMapper<Row, Out>() {
  return <const C extends ColumnsOf<Row>>(
    columns: C &
      ([Misfits<Out, Read<Row, C>>] extends [never] ? unknown : { fieldsThatDoNotFit: Misfits<Out, Read<Row, C>> }),
  ) => {
    const reads = Object.entries(columns as Record<string, ColumnRead>)
      .filter(([, read]) => read !== 'skip')
      .map(([column, read]) => [column, camel(column), read] as const);
    return (row: Row): Out => {
      const source = row as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [column, field, read] of reads) {
        const value = source[column];
        out[field] =
          read === 'flag' ? value === 1 : read === 'json' && typeof value === 'string' ? JSON.parse(value) : value;
      }
      return out as Out;
    };
  };
}

function camel(column: string): string {
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
