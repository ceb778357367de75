/**
 * FTS5's structure record: the segments of a full-text index, by level, as FTS5 keeps them in the
 * row of id 10 of its `<table>_data` shadow table (SQLite's fts5_index.c, `fts5StructureDecode`).
 * Read to know, before a 'merge' command runs, how much it will read (store/search-merges.ts).
 *
 * Layout: a 4-byte cookie; the 4 bytes FF 00 00 01 when the record is of version 2 (SQLite 3.45
 * on); then varints: levels, segments, write counter; per level: segments being merged now
 * (`nMerge`: the first that many are an incremental merge's input), its segment count, and per
 * segment its id, first and last leaf page (version 2 adds five varints: origins and tombstones).
 * Varints are SQLite's: 7 bits a byte, most significant first, high bit set on all but the last,
 * a ninth byte giving 8 bits.
 */

export interface Fts5Level {
  /** The first `merging` segments are the input of an incremental merge in progress (0: none). */
  merging: number;
  /** Each segment's id and its leaf pages not yet merged away (`pgnoLast - pgnoFirst + 1`). */
  segments: { id: number; pages: number }[];
}

/**
 * The levels of a structure record; throws on a record it cannot read whole. Uses nothing outside
 * itself: the import's writer thread runs its text (import-writer.ts).
 */
export function decodeStructure(record: Uint8Array): Fts5Level[] {
  let at = 4;
  if ([0xff, 0x00, 0x00, 0x01].every((byte, i) => record[4 + i] === byte)) at += 4;
  const v2 = at === 8;
  const varint = (): number => {
    let value = 0;
    for (let n = 0; n < 9; n++) {
      if (at >= record.length) throw new Error('The full-text index’s structure record ends early.');
      const byte = record[at++]!;
      if (n === 8) return value * 256 + byte;
      value = value * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) return value;
    }
    return value;
  };
  const levels = varint();
  varint(); // segments in all
  varint(); // write counter
  const out: Fts5Level[] = [];
  for (let l = 0; l < levels; l++) {
    const merging = varint();
    const count = varint();
    const segments: Fts5Level['segments'] = [];
    for (let s = 0; s < count; s++) {
      const id = varint();
      const first = varint();
      const last = varint();
      if (v2) for (let k = 0; k < 5; k++) varint();
      segments.push({ id, pages: last - first + 1 });
    }
    out.push({ merging, segments });
  }
  return out;
}

/**
 * Leaf pages the next 'merge' command reads from, as FTS5 chooses its level (`fts5IndexMerge`):
 * the level with the most segments, if at least `minSegments` (the index's `usermerge`), unless
 * the first level with a merge in progress comes first or merges more (then its first `merging`
 * segments); 0 when none qualifies. Uses nothing outside itself, as `decodeStructure`.
 */
export function nextMergeInputPages(levels: readonly Fts5Level[], minSegments: number): number {
  const pages = (segments: Fts5Level['segments']) => segments.reduce((n, s) => n + s.pages, 0);
  let best: Fts5Level['segments'] = [];
  for (const level of levels) {
    if (level.merging > 0) {
      // A merge in progress goes on unless a level above it has more segments than it merges.
      if (level.merging > best.length) return pages(level.segments.slice(0, level.merging));
      break;
    }
    if (level.segments.length > best.length) best = level.segments;
  }
  return best.length >= minSegments ? pages(best) : 0;
}
