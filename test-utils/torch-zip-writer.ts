/**
 * Test helper: writes checkpoints in the zip format of `torch.save` (torch >= 1.6) without Python.
 *
 * The pickle is emitted the way CPython's protocol-2 pickler writes a torch state dict:
 *   \x80\x02  c collections\nOrderedDict\n  q0  )  R  q1  (  X key  c torch._utils\n_rebuild_tensor_v2\n
 *   (  ( X'storage' c torch\nFloatStorage\n X'0' X'cpu' K<numel> t  Q  K<offset>  (sizes) (strides)
 *   \x89  h0 ) R  t  R  …  u  [} X'_metadata' … b]  .
 * and stored next to `archive/data/<key>` (raw storage bytes), `archive/byteorder` and `archive/version`.
 * Encoding is independent of the code under test (no imports from src).
 */
import { zipSync } from 'fflate';

export type TorchDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

const STORAGE_CLASS: Record<TorchDtype, string> = {
  float32: 'FloatStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  float64: 'DoubleStorage',
  int64: 'LongStorage',
  int32: 'IntStorage',
  uint8: 'ByteStorage',
  bool: 'BoolStorage',
};
const ITEM: Record<TorchDtype, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };

export interface TorchStorage {
  dtype: TorchDtype;
  data: ArrayLike<number>;
}

/** A tensor as `_rebuild_tensor_v2` sees it: a view (offset, size, stride) on a storage. */
export interface TorchTensor {
  storage: TorchStorage;
  offset: number;
  size: number[];
  stride: number[];
  /** Pickle as nn.Parameter (`_rebuild_parameter`). */
  parameter?: boolean;
}

export function contiguousStrides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** A contiguous tensor with its own storage. */
export function tensor(data: ArrayLike<number>, shape: number[], dtype: TorchDtype = 'float32'): TorchTensor {
  return { storage: { dtype, data }, offset: 0, size: shape, stride: contiguousStrides(shape) };
}

/** Python values the writer can pickle. */
export type PyValue = null | boolean | number | string | PyValue[] | Tuple | OrderedDict | PyDict | TorchTensor;
export class Tuple {
  constructor(readonly items: PyValue[]) {}
}
export class OrderedDict {
  constructor(
    readonly entries: Array<[string, PyValue]>,
    /** Emit the `_metadata` BUILD torch's state_dict() attaches. */
    readonly metadata = false,
  ) {}
}
export class PyDict {
  constructor(readonly entries: Array<[string, PyValue]>) {}
}

export const stateDict = (sd: Record<string, TorchTensor>, metadata = true) => new OrderedDict(Object.entries(sd), metadata);

function halfBits(x: number): number {
  // exact for the normal, representable values tests use
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  const e = Math.floor(Math.log2(a));
  const mant = Math.round((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | mant;
}

function encodeStorage(s: TorchStorage, bigEndian: boolean): Uint8Array {
  const n = s.data.length;
  const size = ITEM[s.dtype];
  const out = new Uint8Array(n * size);
  const v = new DataView(out.buffer);
  const le = !bigEndian;
  for (let i = 0; i < n; i++) {
    const x = s.data[i];
    const o = i * size;
    switch (s.dtype) {
      case 'float32':
        v.setFloat32(o, x, le);
        break;
      case 'float64':
        v.setFloat64(o, x, le);
        break;
      case 'float16':
        v.setUint16(o, halfBits(x), le);
        break;
      case 'bfloat16': {
        const f = new DataView(new ArrayBuffer(4));
        f.setFloat32(0, x);
        v.setUint16(o, f.getUint16(0), le);
        break;
      }
      case 'int64':
        v.setBigInt64(o, BigInt(x), le);
        break;
      case 'int32':
        v.setInt32(o, x, le);
        break;
      case 'uint8':
      case 'bool':
        v.setUint8(o, x);
        break;
    }
  }
  return out;
}

/** A protocol-2 pickler in CPython's style (memoizes with BINPUT, reuses globals with BINGET). */
export class Pickler {
  private chunks: number[] = [];
  private memoCount = 0;
  private globals = new Map<string, number>();
  readonly storages: TorchStorage[] = [];

  bytes(...b: number[]): this {
    this.chunks.push(...b);
    return this;
  }
  raw(s: string): this {
    return this.bytes(...new TextEncoder().encode(s));
  }
  put(): this {
    const i = this.memoCount++;
    return i < 256 ? this.bytes(0x71, i) : this.bytes(0x72, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, i >>> 24);
  }
  proto(v = 2): this {
    return this.bytes(0x80, v);
  }
  global(module: string, name: string): this {
    const k = `${module}\n${name}`;
    const memo = this.globals.get(k);
    if (memo !== undefined) return this.bytes(0x68, memo);
    this.raw(`c${module}\n${name}\n`);
    this.globals.set(k, this.memoCount);
    return this.put();
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    const n = b.length;
    this.bytes(0x58, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24, ...b);
    return this.put();
  }
  int(x: number): this {
    if (x >= 0 && x < 256) return this.bytes(0x4b, x);
    if (x >= 0 && x < 65536) return this.bytes(0x4d, x & 0xff, x >> 8);
    if (x >= -(2 ** 31) && x < 2 ** 31) return this.bytes(0x4a, x & 0xff, (x >> 8) & 0xff, (x >> 16) & 0xff, (x >>> 24) & 0xff);
    // LONG1, little-endian two's complement
    let v = BigInt(x);
    const out: number[] = [];
    while (true) {
      out.push(Number(v & 0xffn));
      v >>= 8n;
      if ((v === 0n && !(out[out.length - 1] & 0x80)) || (v === -1n && out[out.length - 1] & 0x80)) break;
    }
    return this.bytes(0x8a, out.length, ...out);
  }
  float(x: number): this {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, x, false);
    return this.bytes(0x47, ...new Uint8Array(b.buffer));
  }
  tuple(items: Array<() => void>): this {
    if (items.length === 0) return this.bytes(0x29);
    if (items.length <= 3) {
      items.forEach((f) => f());
      return this.bytes(0x84 + items.length).put();
    }
    this.bytes(0x28);
    items.forEach((f) => f());
    return this.bytes(0x74).put();
  }
  emptyOrderedDict(): this {
    return this.global('collections', 'OrderedDict').bytes(0x29, 0x52).put();
  }
  value(v: PyValue): this {
    if (v === null) return this.bytes(0x4e);
    if (v === true) return this.bytes(0x88);
    if (v === false) return this.bytes(0x89);
    if (typeof v === 'number') return Number.isInteger(v) ? this.int(v) : this.float(v);
    if (typeof v === 'string') return this.str(v);
    if (Array.isArray(v)) {
      this.bytes(0x5d).put();
      if (v.length) {
        this.bytes(0x28);
        v.forEach((x) => this.value(x));
        this.bytes(0x65);
      }
      return this;
    }
    if (v instanceof Tuple) return this.tuple(v.items.map((x) => () => this.value(x)));
    if (v instanceof PyDict) {
      this.bytes(0x7d).put();
      return this.setItems(v.entries);
    }
    if (v instanceof OrderedDict) {
      this.emptyOrderedDict();
      this.setItems(v.entries);
      if (v.metadata) {
        // state = {'_metadata': OrderedDict([('', {'version': 1}), ...])}; BUILD comes after the items
        this.bytes(0x7d).put().str('_metadata').emptyOrderedDict();
        const modules = [''].concat([...new Set(v.entries.map(([k]) => k.split('.').slice(0, -1).join('.')))]);
        this.setItems(modules.map((m) => [m, new PyDict([['version', 1]])]));
        this.bytes(0x73, 0x62); // SETITEM, BUILD
      }
      return this;
    }
    return this.tensor(v);
  }
  setItems(entries: Array<[string, PyValue]>): this {
    for (let i = 0; i < entries.length; i += 1000) {
      this.bytes(0x28);
      for (const [k, x] of entries.slice(i, i + 1000)) this.str(k).value(x);
      this.bytes(0x75);
    }
    return this;
  }
  private storageKey(s: TorchStorage): number {
    let i = this.storages.indexOf(s);
    if (i < 0) i = this.storages.push(s) - 1;
    return i;
  }
  tensor(t: TorchTensor): this {
    if (t.parameter) this.global('torch._utils', '_rebuild_parameter').bytes(0x28);
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.bytes(0x28); // args tuple (6 items) → MARK … TUPLE
    const key = this.storageKey(t.storage);
    // persistent id ('storage', torch.FloatStorage, '0', 'cpu', numel), then BINPERSID
    this.bytes(0x28).str('storage').global('torch', STORAGE_CLASS[t.storage.dtype]).str(String(key)).str('cpu').int(t.storage.data.length);
    this.bytes(0x74).put().bytes(0x51);
    this.int(t.offset);
    this.tuple(t.size.map((d) => () => this.int(d)));
    this.tuple(t.stride.map((d) => () => this.int(d)));
    this.bytes(0x89); // requires_grad False
    this.emptyOrderedDict(); // backward_hooks
    this.bytes(0x74).put().bytes(0x52).put();
    if (t.parameter) this.bytes(0x89).emptyOrderedDict().bytes(0x74).put().bytes(0x52).put();
    return this;
  }
  stop(): Uint8Array {
    this.bytes(0x2e);
    return Uint8Array.from(this.chunks);
  }
}

export interface TorchZipOptions {
  archive?: string;
  byteorder?: 'little' | 'big';
}

/** A zip with `<archive>/data.pkl`, storages under `<archive>/data/`, byteorder and version. */
export function torchZip(pickle: Uint8Array, storages: Uint8Array[], opts: TorchZipOptions = {}): Uint8Array {
  const a = opts.archive ?? 'archive';
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  const add = (name: string, data: Uint8Array) => (files[`${a}/${name}`] = [data, { level: 0 }]);
  add('data.pkl', pickle);
  add('byteorder', new TextEncoder().encode(opts.byteorder ?? 'little'));
  storages.forEach((s, i) => add(`data/${i}`, s));
  add('version', new TextEncoder().encode('3\n'));
  return zipSync(files);
}

/** `torch.save(obj, f)` for a PyValue (usually {@link stateDict} or a wrapper PyDict around it). */
export function torchSave(obj: PyValue, opts: TorchZipOptions = {}): Uint8Array {
  const p = new Pickler().proto(2).value(obj);
  const pickle = p.stop();
  return torchZip(
    pickle,
    p.storages.map((s) => encodeStorage(s, opts.byteorder === 'big')),
    opts,
  );
}

/** Float32 state dict (PyTorch layout) → torch zip bytes. */
export function torchSaveFloat32(sd: Record<string, { shape: number[]; data: Float32Array }>, opts: TorchZipOptions = {}): Uint8Array {
  return torchSave(stateDict(Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, tensor(t.data, t.shape)]))), opts);
}
