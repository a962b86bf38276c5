import { unzipSync } from 'fflate';
import { PickleGlobal, describe, unpickle, type GlobalAllowlist, type GlobalHandler } from './restricted-unpickler.js';
import {
  DTYPE_BYTES,
  asPlainBytes,
  allocLike,
  decodeElements,
  describeSource,
  formatShape,
  gather,
  numel,
  readInput,
  setEntry,
  stripCommonPrefix,
  type StateDict,
  type TensorArray,
  type WeightDtype,
} from './state-dict.js';

/**
 * Reader for `torch.save` checkpoints in the zip format of torch >= 1.6:
 *
 *   <archive>/data.pkl        pickle of the saved object; tensors are `_rebuild_tensor_v2` calls whose
 *                             storages are persistent ids ('storage', torch.FloatStorage, key, location, numel)
 *   <archive>/data/<key>      raw bytes of each storage
 *   <archive>/byteorder       'little' | 'big' (absent in old files: little)
 *   <archive>/version         format version
 *
 * The pickle is read by {@link unpickle} with the allowlist below; storages are only read for the tensors of
 * the selected state dict.
 */

/** A storage referenced by a persistent id; bytes are read lazily. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: WeightDtype,
    /** Elements (bytes for an untyped storage). */
    readonly numel: number,
    readonly location: string,
  ) {}
}

/** A tensor view on a storage, as `_rebuild_tensor_v2` describes it. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** A Python object we keep only as inert data (argparse.Namespace, torch.device, …). */
export class InertObject {
  constructor(
    readonly type: string,
    readonly args: unknown[],
  ) {}
}

const STORAGE_DTYPES: Readonly<Record<string, WeightDtype>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

const TORCH_DTYPES: Readonly<Record<string, WeightDtype>> = {
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  float64: 'float64',
  double: 'float64',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

/** Marker values for storage classes and dtypes on the pickle stack. */
class StorageType {
  constructor(readonly dtype: WeightDtype | 'untyped') {}
}

const asInt = (v: unknown, what: string): number => {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw new Error(`${what} is a ${describe(v)}, expected an int`);
};
const asIntList = (v: unknown, what: string): number[] => {
  if (!Array.isArray(v)) throw new Error(`${what} is a ${describe(v)}, expected a tuple of ints`);
  return v.map((x, i) => asInt(x, `${what}[${i}]`));
};

function rebuildTensor(args: unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw new Error(`_rebuild_tensor_v2: storage is a ${describe(storage)}`);
  return new TensorRef(storage, asInt(offset, 'storage_offset'), asIntList(size, 'size'), asIntList(stride, 'stride'));
}

function firstArg(args: unknown[]): unknown {
  return args[0];
}

const value: GlobalHandler = {};
const storageClass = (dtype: WeightDtype | 'untyped'): GlobalHandler => ({ call: () => new StorageType(dtype) });
const inert = (type: string): GlobalHandler => ({ call: (args) => new InertObject(type, args) });

/** Every global a state-dict checkpoint may reference, and how it is rebuilt as data. */
export const TORCH_GLOBALS: GlobalAllowlist = {
  collections: {
    OrderedDict: {
      call: (args) => {
        const m = new Map<unknown, unknown>();
        // protocol 0/1 pickles pass the items as a list of pairs
        if (Array.isArray(args[0])) for (const kv of args[0]) if (Array.isArray(kv) && kv.length === 2) m.set(kv[0], kv[1]);
        return m;
      },
    },
  },
  'torch._utils': {
    _rebuild_tensor: { call: rebuildTensor },
    _rebuild_tensor_v2: { call: rebuildTensor },
    _rebuild_parameter: { call: firstArg },
    _rebuild_parameter_with_state: { call: firstArg },
  },
  'torch._tensor': {
    _rebuild_from_type_v2: {
      call: (args) => {
        const [func, , inner] = args;
        if (!(func instanceof PickleGlobal) || !func.handler.call || !Array.isArray(inner)) {
          throw new Error('_rebuild_from_type_v2: unexpected arguments');
        }
        return func.handler.call(inner);
      },
    },
  },
  torch: {
    ...Object.fromEntries(Object.entries(STORAGE_DTYPES).map(([n, d]) => [n, storageClass(d)])),
    UntypedStorage: storageClass('untyped'),
    ...Object.fromEntries(Object.keys(TORCH_DTYPES).map((n) => [n, value])),
    Size: { call: firstArg },
    device: inert('torch.device'),
    Tensor: value,
  },
  'torch.storage': {
    UntypedStorage: storageClass('untyped'),
    TypedStorage: value,
  },
  'torch.nn.parameter': { Parameter: value },
  builtins: {
    set: { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) },
    frozenset: { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) },
  },
  // protocol-2 pickles encode `bytes` as _codecs.encode(str, 'latin1')
  _codecs: {
    encode: {
      call: (args) => {
        const s = String(args[0] ?? '');
        return Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0xff);
      },
    },
  },
  // timm training checkpoints carry their argparse arguments next to the weights
  argparse: { Namespace: inert('argparse.Namespace') },
};

function storageDtypeOf(t: unknown): WeightDtype | 'untyped' | undefined {
  if (t instanceof PickleGlobal) {
    if (t.module === 'torch' && STORAGE_DTYPES[t.name]) return STORAGE_DTYPES[t.name];
    if (t.name === 'UntypedStorage') return 'untyped';
    if (t.module === 'torch' && TORCH_DTYPES[t.name]) return TORCH_DTYPES[t.name];
  }
  if (t instanceof StorageType) return t.dtype;
  return undefined;
}

function persistentLoad(pid: unknown): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
    throw new Error(`unsupported persistent id ${describe(pid)} ${Array.isArray(pid) ? `('${String(pid[0])}', …)` : ''}`);
  }
  const [, type, key, location, count] = pid;
  const dtype = storageDtypeOf(type);
  if (!dtype) throw new Error(`unsupported storage type ${describe(type)}`);
  return new StorageRef(String(key), dtype === 'untyped' ? 'uint8' : dtype, asInt(count, 'storage numel'), String(location));
}

const WRAPPER_KEYS = ['state_dict', 'model', 'state_dict_ema', 'model_ema'] as const;

/**
 * Bounds checked from the file's declarations before anything is allocated (a 774-byte file can otherwise
 * declare a 2^28-element view of one number, or a 1 MB zip entry can inflate to 1 GiB).
 */
export interface PytorchCheckpointLimits {
  /**
   * The most elements a view may materialise beyond its storage's size (a stride-0 "expanded" tensor).
   * Default 2^24.
   */
  maxExpandedElements?: number;
  /**
   * The most a deflated zip entry may inflate, as a multiple of its compressed size, once it is over 16 MiB.
   * torch.save stores entries uncompressed; weights deflate ~1.1:1. Default 100.
   */
  maxCompressionRatio?: number;
  /** Largest data.pkl accepted. Default 256 MiB. */
  maxPickleBytes?: number;
}

const DEFAULT_LIMITS: Required<PytorchCheckpointLimits> = { maxExpandedElements: 2 ** 24, maxCompressionRatio: 100, maxPickleBytes: 256 * 2 ** 20 };
/** Deflated entries up to this size are never refused for their compression ratio. */
const SMALL_ENTRY_BYTES = 16 * 2 ** 20;

export interface ReadPytorchCheckpointOptions {
  /** Name for error messages when bytes are given. */
  source?: string;
  /** See {@link PytorchCheckpointLimits}. */
  limits?: PytorchCheckpointLimits;
  /**
   * Top-level key holding the state dict. Default: the first of `state_dict`, `model`, `state_dict_ema`,
   * `model_ema` that is a dict, else the top-level dict itself.
   */
  key?: string;
}

/** Reads a torch >= 1.6 zip checkpoint (path or bytes) into a flat state dict (floats as Float32Array). */
export async function readPytorchCheckpoint(fileOrBytes: string | Uint8Array, opts: ReadPytorchCheckpointOptions = {}): Promise<StateDict> {
  const bytes = await readInput(fileOrBytes);
  return decodePytorchCheckpoint(bytes, describeSource(fileOrBytes, opts.source), opts);
}

export const LEGACY_CHECKPOINT_HELP =
  'Re-save it with torch>=1.6: `torch.save(torch.load(path, map_location="cpu"), new_path, _use_new_zipfile_serialization=True)`, ' +
  'or convert it to safetensors (`safetensors.torch.save_file(state_dict, "model.safetensors")`).';

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/** A pre-1.6 `torch.save` file: a bare pickle stream (or the even older tar layout). */
export function isLegacyTorchFile(bytes: Uint8Array): boolean {
  const pickle = bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
  const tar = bytes.length > 262 && new TextDecoder('latin1').decode(bytes.subarray(257, 262)) === 'ustar';
  return pickle || tar;
}

const MiB = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 3 : 0)} MiB`;

/** Synchronous core of {@link readPytorchCheckpoint}. */
export function decodePytorchCheckpoint(input: Uint8Array, source = '<bytes>', opts: Pick<ReadPytorchCheckpointOptions, 'key' | 'limits'> = {}): StateDict {
  const bytes = asPlainBytes(input);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  /** fflate allocates an entry's declared size before inflating: refuse what the file cannot honestly hold. */
  const entryProblem = (f: { name: string; size: number; originalSize: number; compression: number }, maxBytes: number): string | undefined => {
    if (f.originalSize > maxBytes) return `zip entry '${f.name}' declares ${f.originalSize} bytes, more than the ${maxBytes} expected`;
    if (f.compression === 0 && f.originalSize !== f.size) return `zip entry '${f.name}' is stored with ${f.size} bytes but declares ${f.originalSize}`;
    if (f.compression !== 0 && f.originalSize > SMALL_ENTRY_BYTES && f.originalSize > f.size * limits.maxCompressionRatio) {
      return `zip entry '${f.name}' would inflate ${MiB(f.size)} to ${MiB(f.originalSize)} (over ${limits.maxCompressionRatio}:1; a zip bomb? torch.save stores entries uncompressed)`;
    }
    return undefined;
  };
  if (!isZip(bytes)) {
    if (isLegacyTorchFile(bytes)) fail(`legacy (pre-1.6, non-zip) PyTorch checkpoint, which is not supported. ${LEGACY_CHECKPOINT_HELP}`);
    fail('not a PyTorch zip checkpoint (torch >= 1.6 torch.save format)');
  }
  type Entry = { name: string; size: number; originalSize: number; compression: number };
  const unzip = (filter: (name: string, f: Entry) => boolean) => {
    try {
      return unzipSync(bytes, { filter: (f) => filter(f.name, f) });
    } catch (err) {
      return fail(`corrupt or truncated zip archive (${(err as Error).message})`);
    }
  };
  const names: string[] = [];
  let refused: string | undefined;
  const meta = unzip((name, f) => {
    names.push(name);
    if (!/^([^/]+\/)?(data\.pkl|byteorder)$/.test(name)) return false;
    refused ??= entryProblem(f, name.endsWith('byteorder') ? 16 : limits.maxPickleBytes);
    return refused === undefined;
  });
  if (refused) fail(refused);
  const pkl = names.filter((n) => /^([^/]+\/)?data\.pkl$/.test(n)).sort((a, b) => a.length - b.length)[0];
  if (!pkl) {
    if (names.some((n) => /(^|\/)(constants\.pkl|code\/)/.test(n))) {
      fail('this is a TorchScript archive (torch.jit.save), not a state dict; save `model.state_dict()` with torch.save or safetensors instead');
    }
    fail(`zip archive without <archive>/data.pkl (entries: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}); not a torch.save checkpoint`);
  }
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const byteorderBytes = meta[`${prefix}byteorder`];
  const byteorder = byteorderBytes ? new TextDecoder().decode(byteorderBytes).trim() : 'little';
  if (byteorder !== 'little' && byteorder !== 'big') fail(`unknown byteorder '${byteorder}'`);

  let root: unknown;
  try {
    root = unpickle(meta[pkl], {
      source,
      globals: TORCH_GLOBALS,
      persistentLoad,
      rejectHint: 'Only plain state dicts (tensors in dicts/lists) can be read; save `model.state_dict()` rather than the model object.',
    });
  } catch (err) {
    const msg = (err as Error).message;
    if (msg.startsWith(source)) throw err;
    fail(`cannot read ${pkl}: ${msg}`);
  }

  const dict = selectStateDict(root, opts.key, fail);
  const refs: Array<[string, TensorRef]> = [];
  for (const [k, v] of dict) if (v instanceof TensorRef) refs.push([String(k), v]);
  if (refs.length === 0) {
    const keys = [...dict.keys()].slice(0, 8).map(String);
    fail(`no tensors found in the checkpoint (top-level keys: ${keys.join(', ') || 'none'})`);
  }

  // Every view checked against its storage's declared size before a byte is inflated.
  for (const [key, { size, stride, offset, storage }] of refs) {
    if (size.length !== stride.length) fail(`tensor '${key}': size ${formatShape(size)} and stride ${formatShape(stride)} differ in rank`);
    if (size.some((d) => d < 0) || stride.some((st) => st < 0) || offset < 0) fail(`tensor '${key}': negative size, stride or offset`);
    const n = numel(size);
    if (n > 0) {
      const last = offset + size.reduce((acc, d, i) => acc + (d - 1) * stride[i], 0);
      if (last >= storage.numel) {
        fail(`tensor '${key}': view (offset ${offset}, size ${formatShape(size)}, stride ${formatShape(stride)}) reaches element ${last} of a storage with ${storage.numel}`);
      }
    }
    if (n > storage.numel && n > limits.maxExpandedElements) {
      fail(
        `tensor '${key}': a view of ${n} elements (size ${formatShape(size)}, stride ${formatShape(stride)}) on a storage of ${storage.numel}; ` +
          `refusing to expand a storage beyond ${limits.maxExpandedElements} elements (limits.maxExpandedElements)`,
      );
    }
  }
  const needed = new Map(refs.map(([, r]) => [`${prefix}data/${r.storage.key}`, r.storage.numel * DTYPE_BYTES[r.storage.dtype]]));
  const files = unzip((name, f) => {
    const want = needed.get(name);
    if (want === undefined) return false;
    refused ??= entryProblem(f, want);
    return refused === undefined;
  });
  if (refused) fail(refused);
  const storages = new Map<string, TensorArray>();
  const storageData = (ref: StorageRef, tensorKey: string): TensorArray => {
    const cached = storages.get(ref.key);
    if (cached) return cached;
    const entry = `${prefix}data/${ref.key}`;
    const raw = files[entry];
    if (!raw) fail(`tensor '${tensorKey}': storage entry '${entry}' is missing from the archive`);
    const size = DTYPE_BYTES[ref.dtype];
    const needed = ref.numel * size;
    if (raw.length < needed) {
      fail(`tensor '${tensorKey}': storage '${entry}' has ${raw.length} bytes, needs ${needed} (${ref.numel} x ${ref.dtype}; file truncated?)`);
    }
    let le = raw;
    if (byteorder === 'big' && size > 1) {
      le = new Uint8Array(needed);
      for (let i = 0; i < needed; i += size) for (let j = 0; j < size; j++) le[i + j] = raw[i + size - 1 - j];
    }
    const data = decodeElements(le, ref.dtype, ref.numel);
    storages.set(ref.key, data);
    return data;
  };

  let out: StateDict = {};
  for (const [key, ref] of refs) {
    const { size, stride, offset, storage } = ref;
    const data = storageData(storage, key);
    setEntry(out, key, { shape: [...size], dtype: storage.dtype, data: gather(data, size, stride, offset, allocLike(data)) });
  }
  out = stripCommonPrefix(out, 'module.');
  return out;
}

/** Picks the state dict out of a checkpoint's top-level object (unwrapping `state_dict`, `model`, EMA keys). */
function selectStateDict(root: unknown, key: string | undefined, fail: (why: string) => never): Map<unknown, unknown> {
  if (!(root instanceof Map)) {
    if (root instanceof TensorRef) fail('the checkpoint is a single tensor, not a state dict');
    fail(`the checkpoint holds a ${describe(root)}, expected a dict (a state_dict)`);
  }
  let dict = root as Map<unknown, unknown>;
  if (key !== undefined) {
    const v = dict.get(key);
    if (!(v instanceof Map)) fail(`top-level key '${key}' ${v === undefined ? 'does not exist' : `is a ${describe(v)}, not a dict`} (keys: ${[...dict.keys()].join(', ')})`);
    return v as Map<unknown, unknown>;
  }
  for (let depth = 0; depth < 3; depth++) {
    const hasTensors = [...dict.values()].some((v) => v instanceof TensorRef);
    if (hasTensors) break;
    const k = WRAPPER_KEYS.find((w) => dict.get(w) instanceof Map);
    if (!k) break;
    dict = dict.get(k) as Map<unknown, unknown>;
  }
  return dict;
}
