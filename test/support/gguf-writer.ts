/**
 * The GGUF v3 file format, write side only, as much of it as the tiny test models need: typed
 * metadata (numbers, booleans, strings, string and number arrays) and F32 tensors, aligned as
 * llama.cpp expects (gguf.h). What goes into a model is tiny-gguf.ts's business.
 */

// GGUF metadata value types (gguf.h).
const enum GgufType {
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
}

/** One metadata value; build it with the helpers below. */
export type MetaValue =
  | { type: GgufType.Uint32 | GgufType.Int32 | GgufType.Float32; value: number }
  | { type: GgufType.Bool; value: boolean }
  | { type: GgufType.String; value: string }
  | {
      type: GgufType.Array;
      itemType: GgufType.String;
      value: readonly string[];
    }
  | {
      type: GgufType.Array;
      itemType: GgufType.Float32 | GgufType.Int32;
      value: readonly number[];
    };

export const meta = {
  u32: (value: number): MetaValue => ({ type: GgufType.Uint32, value }),
  f32: (value: number): MetaValue => ({ type: GgufType.Float32, value }),
  bool: (value: boolean): MetaValue => ({ type: GgufType.Bool, value }),
  str: (value: string): MetaValue => ({ type: GgufType.String, value }),
  strings: (value: readonly string[]): MetaValue => ({ type: GgufType.Array, itemType: GgufType.String, value }),
  f32s: (value: readonly number[]): MetaValue => ({ type: GgufType.Array, itemType: GgufType.Float32, value }),
  i32s: (value: readonly number[]): MetaValue => ({ type: GgufType.Array, itemType: GgufType.Int32, value }),
};

export interface TensorSpec {
  name: string;
  /** ggml order: dims[0] is the contiguous (row) dimension. */
  dims: number[];
  data: Float32Array;
}

const GGML_TYPE_F32 = 0;
/** Bytes; written as `general.alignment` by the caller, applied here to the tensor data. */
export const GGUF_ALIGNMENT = 32;

/** Growable little-endian byte sink. */
class ByteWriter {
  private buf = Buffer.alloc(1 << 16);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.len);
    this.len += 1;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.len);
    this.len += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.len);
    this.len += 4;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.len);
    this.len += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.len);
    this.len += 8;
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.bytes(bytes);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  padTo(alignment: number): void {
    while (this.len % alignment !== 0) this.u8(0);
  }
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

function writeMeta(w: ByteWriter, key: string, m: MetaValue): void {
  w.str(key);
  w.u32(m.type);
  switch (m.type) {
    case GgufType.Uint32:
      w.u32(m.value);
      return;
    case GgufType.Int32:
      w.i32(m.value);
      return;
    case GgufType.Float32:
      w.f32(m.value);
      return;
    case GgufType.Bool:
      w.u8(m.value ? 1 : 0);
      return;
    case GgufType.String:
      w.str(m.value);
      return;
    case GgufType.Array:
      w.u32(m.itemType);
      w.u64(m.value.length);
      if (m.itemType === GgufType.String) {
        for (const s of m.value) w.str(s);
      } else {
        const put = m.itemType === GgufType.Float32 ? w.f32.bind(w) : w.i32.bind(w);
        for (const n of m.value) put(n);
      }
      return;
  }
}

/** A whole GGUF v3 file in memory: header, metadata in the order given, tensor infos, aligned F32 data. */
export function writeGguf(metadata: readonly (readonly [string, MetaValue])[], tensors: readonly TensorSpec[]): Buffer {
  const w = new ByteWriter();
  w.bytes(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [key, value] of metadata) writeMeta(w, key, value);

  // Tensor data offsets are relative to the start of the (aligned) data section.
  let offset = 0;
  for (const t of tensors) {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_TYPE_F32);
    w.u64(offset);
    offset += Math.ceil(t.data.byteLength / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  }
  w.padTo(GGUF_ALIGNMENT);
  for (const t of tensors) {
    w.bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    w.padTo(GGUF_ALIGNMENT);
  }
  return w.toBuffer();
}
