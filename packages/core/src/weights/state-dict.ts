/**
 * The in-memory form of a checkpoint: tensor name → shape, stored dtype and data (row-major, C order).
 * Every floating-point dtype is widened/narrowed to float32 on read (tfjs computes in float32); integer
 * and bool tensors keep an integer array.
 */
export type WeightDtype =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

export type TensorArray = Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface StateTensor {
  shape: number[];
  /** The dtype the file stored (float dtypes are returned as Float32Array data). */
  dtype: WeightDtype;
  data: TensorArray;
}

/** Tensor name (PyTorch `state_dict` key) → tensor. */
export type StateDict = Record<string, StateTensor>;

export const FLOAT_DTYPES: ReadonlySet<WeightDtype> = new Set(['float32', 'float16', 'bfloat16', 'float64']);

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Sets a key on a plain record without going through `__proto__` setters. */
export function setEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A tensor's data as float32 (integers converted by value). */
export function toFloat32(t: { data: TensorArray }): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array) return d;
  const out = new Float32Array(d.length);
  if (d instanceof BigInt64Array) for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  else out.set(d);
  return out;
}

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfBitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** IEEE half, round to nearest even. */
export function floatToHalfBits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is the correct rounding
  return sign | h;
}

export function bfloat16BitsToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

/** bfloat16, round to nearest even. */
export function floatToBfloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if (Number.isNaN(x)) return 0x7fc0;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Bytes per element of each dtype as stored on disk. */
export const DTYPE_BYTES: Readonly<Record<WeightDtype, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/**
 * Decodes `count` little-endian elements of `dtype` starting at `bytes[0]` (floats → Float32Array).
 * Always copies, so the result never aliases the (possibly unaligned) input.
 */
export function decodeElements(bytes: Uint8Array, dtype: WeightDtype, count: number): TensorArray {
  const size = DTYPE_BYTES[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * size);
  // Uint8Array.prototype.slice always copies (Buffer#slice would return a view on node's shared pool)
  const aligned = () => Uint8Array.prototype.slice.call(bytes, 0, count * size).buffer;
  switch (dtype) {
    case 'float32':
      if (LITTLE_ENDIAN_HOST) return new Float32Array(aligned());
      return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
    case 'float64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'float16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfBitsToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'bfloat16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = bfloat16BitsToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'int64':
      if (LITTLE_ENDIAN_HOST) return new BigInt64Array(aligned());
      return BigInt64Array.from({ length: count }, (_, i) => view.getBigInt64(i * 8, true));
    case 'int32':
      if (LITTLE_ENDIAN_HOST) return new Int32Array(aligned());
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
    case 'int16':
      if (LITTLE_ENDIAN_HOST) return new Int16Array(aligned());
      return Int16Array.from({ length: count }, (_, i) => view.getInt16(i * 2, true));
    case 'int8':
      return new Int8Array(aligned());
    case 'uint8':
    case 'bool':
      return new Uint8Array(aligned());
  }
}

const TYPED_FOR: Partial<Record<WeightDtype, abstract new (...args: never[]) => unknown>> = {
  float32: Float32Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Encodes data as little-endian `dtype` bytes (float data may be written as any float dtype). */
export function encodeElements(data: TensorArray, dtype: WeightDtype): Uint8Array {
  const count = data.length;
  if (LITTLE_ENDIAN_HOST && data.constructor === TYPED_FOR[dtype]) {
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }
  const out = new Uint8Array(count * DTYPE_BYTES[dtype]);
  const view = new DataView(out.buffer);
  const num = (i: number) => Number(data[i]);
  switch (dtype) {
    case 'float32':
      for (let i = 0; i < count; i++) view.setFloat32(i * 4, num(i), true);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) view.setFloat64(i * 8, num(i), true);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) view.setUint16(i * 2, floatToHalfBits(num(i)), true);
      break;
    case 'bfloat16':
      for (let i = 0; i < count; i++) view.setUint16(i * 2, floatToBfloat16Bits(num(i)), true);
      break;
    case 'int64':
      for (let i = 0; i < count; i++) view.setBigInt64(i * 8, BigInt(data[i] as number | bigint), true);
      break;
    case 'int32':
      for (let i = 0; i < count; i++) view.setInt32(i * 4, num(i), true);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) view.setInt16(i * 2, num(i), true);
      break;
    case 'int8':
      for (let i = 0; i < count; i++) view.setInt8(i, num(i));
      break;
    case 'uint8':
    case 'bool':
      for (let i = 0; i < count; i++) view.setUint8(i, num(i));
      break;
  }
  return out;
}

/** The dtype a typed array is written as by default. */
export function defaultDtypeOf(data: TensorArray | Float64Array): WeightDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int8Array) return 'int8';
  return 'uint8';
}

/**
 * Permutes the axes of a row-major array: the result has shape `perm.map(p => shape[p])`
 * (like `np.transpose(x, perm)`).
 */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  if (perm.length !== rank) throw new Error(`permute: perm ${formatShape(perm)} does not fit shape ${formatShape(shape)}`);
  if (perm.every((p, i) => p === i)) return data.slice();
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const outShape = perm.map((p) => shape[p]);
  const strides = perm.map((p) => inStrides[p]);
  return gather(data, outShape, strides, 0, (n) => new Float32Array(n)) as Float32Array;
}

/** Inverse of a permutation. */
export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/**
 * Reads a strided view (`offset`, `strides` in elements) out of `src` into a new contiguous row-major
 * array of shape `shape`.
 */
export function gather<T extends TensorArray>(
  src: T,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  alloc: (n: number) => T,
): T {
  const n = numel(shape);
  const out = alloc(n);
  if (n === 0) return out;
  const rank = shape.length;
  if (rank === 0) {
    (out as Float32Array)[0] = (src as Float32Array)[offset];
    return out;
  }
  let expect = 1;
  let contiguous = true;
  for (let i = rank - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expect) contiguous = false;
    expect *= shape[i];
  }
  if (contiguous) {
    (out as Float32Array).set((src as Float32Array).subarray(offset, offset + n));
    return out;
  }
  const last = rank - 1;
  const inner = shape[last];
  const innerStride = strides[last];
  const idx = new Array<number>(rank).fill(0);
  let base = offset;
  let o = 0;
  const dst = out as unknown as { [i: number]: number | bigint };
  const from = src as unknown as { [i: number]: number | bigint };
  for (;;) {
    if (innerStride === 1) {
      (out as Float32Array).set((src as Float32Array).subarray(base, base + inner), o);
      o += inner;
    } else {
      for (let j = 0, p = base; j < inner; j++, p += innerStride) dst[o++] = from[p];
    }
    // odometer over the outer axes
    let ax = last - 1;
    for (; ax >= 0; ax--) {
      idx[ax]++;
      base += strides[ax];
      if (idx[ax] < shape[ax]) break;
      base -= strides[ax] * shape[ax];
      idx[ax] = 0;
    }
    if (ax < 0) return out;
  }
}

/** Allocates an empty array of the same kind as `like`. */
export function allocLike<T extends TensorArray>(like: T): (n: number) => T {
  const Ctor = like.constructor as new (n: number) => T;
  return (n) => new Ctor(n);
}

/**
 * Removes a prefix (e.g. `module.` from `nn.DataParallel`) when every tensor key carries it.
 * Returns the input unchanged otherwise.
 */
export function stripCommonPrefix(dict: StateDict, prefix: string): StateDict {
  const keys = Object.keys(dict);
  if (keys.length === 0 || !keys.every((k) => k.startsWith(prefix))) return dict;
  const out: StateDict = {};
  for (const k of keys) setEntry(out, k.slice(prefix.length), dict[k]);
  return out;
}

/** A plain Uint8Array view of the same bytes (node Buffers have different `slice` semantics). */
export function asPlainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Where the bytes came from, for error messages. */
export function describeSource(fileOrBytes: string | Uint8Array, source?: string): string {
  if (source) return source;
  return typeof fileOrBytes === 'string' ? fileOrBytes : '<bytes>';
}

/** Reads a file with node's fs (imported lazily so browser bundles never load it), or passes bytes through. */
export async function readInput(fileOrBytes: string | Uint8Array, what = 'weights file'): Promise<Uint8Array> {
  if (typeof fileOrBytes !== 'string') return asPlainBytes(fileOrBytes);
  const fs = await import('node:fs/promises');
  try {
    return asPlainBytes(await fs.readFile(fileOrBytes));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new Error(`cannot read ${what} '${fileOrBytes}': ${why}`);
  }
}
