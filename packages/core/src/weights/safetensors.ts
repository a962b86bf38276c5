import {
  DTYPE_BYTES,
  asPlainBytes,
  decodeElements,
  defaultDtypeOf,
  describeSource,
  encodeElements,
  formatShape,
  numel,
  readInput,
  setEntry,
  type StateDict,
  type TensorArray,
  type WeightDtype,
} from './state-dict.js';

/**
 * The safetensors format (https://github.com/huggingface/safetensors): u64 little-endian header length N,
 * N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {str: str}}`,
 * then the raw little-endian tensor bytes; offsets are relative to the start of that data section.
 */

const FROM_ST: Readonly<Record<string, WeightDtype>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
const TO_ST: Readonly<Record<WeightDtype, string>> = Object.fromEntries(
  Object.entries(FROM_ST).map(([k, v]) => [v, k]),
) as Record<WeightDtype, string>;

/** Headers larger than this are rejected as corrupt (the reference implementation uses 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsContents {
  tensors: StateDict;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

export interface ReadSafetensorsOptions {
  /** Name used in error messages when bytes are given (default: the path, or '<bytes>'). */
  source?: string;
}

/** Reads a `.safetensors` file (path or bytes). Float dtypes come back as Float32Array. */
export async function readSafetensors(fileOrBytes: string | Uint8Array, opts: ReadSafetensorsOptions = {}): Promise<SafetensorsContents> {
  const bytes = await readInput(fileOrBytes);
  return decodeSafetensors(bytes, describeSource(fileOrBytes, opts.source));
}

/**
 * The first key that appears twice at the top level of `json` (a valid JSON object's text), if any.
 * JSON.parse keeps the last of duplicates; a hostile header could hide a tensor that way.
 */
function firstDuplicateKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return undefined;
}

/** Synchronous decoder behind {@link readSafetensors}; every structural problem names `source`. */
export function decodeSafetensors(input: Uint8Array, source = '<bytes>'): SafetensorsContents {
  const bytes = asPlainBytes(input);
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLen64} is implausibly large (corrupt or not safetensors)`);
  const headerLen = Number(headerLen64);
  if (8 + headerLen > bytes.length) {
    fail(`header length ${headerLen} exceeds the ${bytes.length - 8} bytes after the length field (file truncated?)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (err) {
    fail(`header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const twice = firstDuplicateKey(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  if (twice !== undefined) fail(`tensor ${JSON.stringify(twice)} is declared twice in the header (JSON.parse would silently keep the last)`);

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: StateDict = {};
  const ranges: Array<[number, number, string]> = [];
  const pending: { name: string; shape: number[]; dtype: WeightDtype; begin: number; end: number; count: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} must be a string`);
        setEntry(metadata, k, v as string);
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') fail(`tensor '${name}': entry is not an object`);
    const dtype = typeof e.dtype === 'string' ? FROM_ST[e.dtype] : undefined;
    if (!dtype) fail(`tensor '${name}': unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(FROM_ST).join(', ')})`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
      fail(`tensor '${name}': data_offsets ${JSON.stringify(offs)} must be [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offs as [number, number];
    const count = numel(shape as number[]);
    const expected = count * DTYPE_BYTES[dtype!];
    if (end - begin !== expected) {
      fail(`tensor '${name}': ${dtype} ${formatShape(shape as number[])} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    if (end > dataLen) {
      fail(`tensor '${name}': data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes; file truncated?)`);
    }
    ranges.push([begin, end, name]);
    pending.push({ name, shape: [...(shape as number[])], dtype: dtype!, begin, end, count });
  }
  // Checked before anything is decoded. Empty tensors take no bytes: they neither overlap nor hide an overlap.
  const filled = ranges.filter(([b, e]) => e > b).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let reach: [number, string] | undefined;
  for (const [b, e, n] of filled) {
    if (reach && b < reach[0]) fail(`tensors '${reach[1]}' and '${n}' overlap in the data section`);
    if (!reach || e > reach[0]) reach = [e, n];
  }
  for (const t of pending) {
    setEntry(tensors, t.name, { shape: t.shape, dtype: t.dtype, data: decodeElements(bytes.subarray(dataStart + t.begin, dataStart + t.end), t.dtype, t.count) });
  }
  return { tensors, metadata };
}

export interface SafetensorsTensorInput {
  shape: readonly number[];
  data: TensorArray | Float64Array;
  /** Stored dtype; defaults from the array type (Float32Array → F32). Float data may be written as F16/BF16/F64. */
  dtype?: WeightDtype;
}

export interface WriteSafetensorsOptions {
  metadata?: Record<string, string>;
  /** Stored dtype for every float tensor without its own `dtype` (default float32). */
  floatDtype?: 'float32' | 'float16' | 'bfloat16' | 'float64';
}

/** Serialises tensors as safetensors bytes (tensors in insertion order, header padded to 8 bytes). */
export function writeSafetensors(tensors: Record<string, SafetensorsTensorInput>, opts: WriteSafetensorsOptions = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (opts.metadata && Object.keys(opts.metadata).length > 0) header.__metadata__ = opts.metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new Error(`writeSafetensors: '__metadata__' is reserved and cannot name a tensor`);
    const count = numel(t.shape);
    if (count !== t.data.length) {
      throw new Error(`writeSafetensors: tensor '${name}' has ${t.data.length} values but shape ${formatShape(t.shape)} needs ${count}`);
    }
    const isFloat = t.data instanceof Float32Array || t.data instanceof Float64Array;
    const dtype = t.dtype ?? (isFloat ? (opts.floatDtype ?? 'float32') : defaultDtypeOf(t.data));
    const bytes = encodeElements(t.data as TensorArray, dtype);
    setEntry(header, name, { dtype: TO_ST[dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] });
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let o = 8 + json.length;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
