import { expect, it } from 'vitest';
import { rowMapper } from '../../../main/store/row-mapper';
import { makeStudio } from '../../support/studio';

interface Row {
  id: string;
  set_id: string;
  call_ids: string;
  answerer: string | null;
  nonstop: number;
  archived_at: number | null;
}

interface Shape {
  id: `q-${string}`;
  setId: string;
  callIds: string[];
  answerer: { model: string } | null;
  nonstop: boolean;
}

const toShape = rowMapper<Row, Shape>()({
  id: 'value',
  set_id: 'value',
  call_ids: 'json',
  answerer: 'json',
  nonstop: 'flag',
  archived_at: 'skip',
});

it('maps a row as SQLite returns it: camelCase names, JSON parsed (NULL kept), 0/1 as booleans, skipped and unnamed columns left out', () => {
  const env = makeStudio();
  try {
    // The row comes from a real `SELECT *`, with a column the row type does not name.
    const db = env.studio.db;
    db.exec(`CREATE TABLE mapped (id TEXT, set_id TEXT, call_ids TEXT, answerer TEXT, nonstop INTEGER,
      archived_at INTEGER, failure_count INTEGER)`);
    const insert = db.prepare('INSERT INTO mapped VALUES (?, ?, ?, ?, ?, ?, ?)');
    insert.run('q-1', 's-1', '["c1","c2"]', '{"model":"m"}', 1, 5, 2);
    insert.run('q-2', 's-1', '[]', null, 0, null, 0);
    const rows = db.prepare('SELECT * FROM mapped ORDER BY id').all() as Row[];
    expect(rows.map(toShape)).toEqual([
      { id: 'q-1', setId: 's-1', callIds: ['c1', 'c2'], answerer: { model: 'm' }, nonstop: true },
      { id: 'q-2', setId: 's-1', callIds: [], answerer: null, nonstop: false },
    ]);
  } finally {
    env.cleanup();
  }
});

it('refuses, at compile time, columns that do not fit the contract shape', () => {
  // @ts-expect-error a column of the row left unnamed (archived_at)
  rowMapper<Row, Shape>()({ id: 'value', set_id: 'value', call_ids: 'json', answerer: 'json', nonstop: 'flag' });
  // @ts-expect-error a 0/1 column read as a number where the contract holds a boolean
  rowMapper<Row, Shape>()({
    id: 'value',
    set_id: 'value',
    call_ids: 'json',
    answerer: 'json',
    nonstop: 'value',
    archived_at: 'skip',
  });
  // @ts-expect-error a column read into a field the contract does not have (archivedAt)
  rowMapper<Row, Shape>()({
    id: 'value',
    set_id: 'value',
    call_ids: 'json',
    answerer: 'json',
    nonstop: 'flag',
    archived_at: 'value',
  });
  expect(true).toBe(true);
});
