/**
 * A data-only reader for Python pickles (protocols 0–5 as far as PyTorch state dicts need them).
 *
 * Nothing in a pickle is ever executed: we are not in Python. Globals (GLOBAL, STACK_GLOBAL, INST) are looked
 * up in an explicit allowlist given by the caller; anything else — `os.system`, `builtins.eval`,
 * `subprocess.Popen`, a pickled `nn.Module` class — is rejected with a {@link PickleSecurityError} the moment the
 * opcode naming it is read, before any REDUCE could "call" it. Allowed globals are plain JS handlers that build
 * inert values (a `Map` for OrderedDict, a tensor descriptor for `_rebuild_tensor_v2`, …).
 *
 * Value mapping: dict → Map, list/tuple → Array, set/frozenset → Set, str → string, bytes → Uint8Array,
 * int → number (bigint beyond 2^53), float → number, None → null, bool → boolean.
 */

/** Behaviour of one allowlisted global. */
export interface GlobalHandler {
  /** REDUCE / NEWOBJ / INST / OBJ with these arguments; absent: the global may only be used as a value. */
  call?: (args: unknown[]) => unknown;
}

/** module → name → handler, e.g. `{ collections: { OrderedDict: {...} } }`. */
export type GlobalAllowlist = Readonly<Record<string, Readonly<Record<string, GlobalHandler>>>>;

export interface UnpicklerOptions {
  /** File name for error messages. */
  source: string;
  globals: GlobalAllowlist;
  /** Resolves BINPERSID / PERSID ids (PyTorch: storages). Without it persistent ids are an error. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Extra sentence for the rejection message of a global that is not allowed. */
  rejectHint?: string;
}

/** An allowlisted global as a value on the pickle stack. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly handler: GlobalHandler,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A pickle referenced a global outside the allowlist. Nothing was executed. */
export class PickleSecurityError extends Error {
  override name = 'PickleSecurityError';
  constructor(
    message: string,
    readonly global: string,
    readonly source: string,
  ) {
    super(message);
  }
}

/** The pickle is malformed, truncated or uses an unsupported feature. */
export class UnpicklingError extends Error {
  override name = 'UnpicklingError';
}

const buildStates = new WeakMap<object, unknown>();

/** The state a BUILD opcode attached to an object (e.g. OrderedDict `_metadata`), if any. */
export function pickleBuildState(obj: object): unknown {
  return buildStates.get(obj);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function intFromBigint(v: bigint): number | bigint {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
}

/** Reads a pickle to a JS value. Throws {@link PickleSecurityError} on any global outside `opts.globals`. */
export function unpickle(input: Uint8Array, opts: UnpicklerOptions): unknown {
  // a plain view: node Buffers' slice() does not copy
  const bytes = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const { source } = opts;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  let opPos = 0;

  const fail = (why: string): never => {
    throw new UnpicklingError(`${source}: malformed pickle at byte ${opPos}: ${why}`);
  };
  const need = (n: number) => {
    if (n < 0 || pos + n > bytes.length) fail(`needs ${n} more bytes but the data ends at byte ${bytes.length} (truncated?)`);
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > MAX_SAFE) fail(`length ${v} is too large`);
    return Number(v);
  };
  const take = (n: number) => {
    need(n);
    const s = bytes.subarray(pos, pos + n);
    pos += n;
    return s;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const text = (b: Uint8Array) => {
    try {
      return utf8.decode(b);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const pop = () => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) fail('MARK expected on the stack');
    stack = prev!;
    return items;
  };
  const longFrom = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return intFromBigint(v);
  };
  const resolveGlobal = (module: string, name: string): PickleGlobal => {
    const mod = Object.hasOwn(opts.globals, module) ? opts.globals[module] : undefined;
    const handler = mod && Object.hasOwn(mod, name) ? mod[name] : undefined;
    if (!handler) {
      const qn = `${module}.${name}`;
      const allowed = Object.entries(opts.globals)
        .flatMap(([m, names]) => Object.keys(names).map((n) => `${m}.${n}`))
        .slice(0, 12);
      throw new PickleSecurityError(
        `${source}: refusing to load global '${qn}' (pickle byte ${opPos}): it is not on the allowlist of ` +
          `tensor-rebuilding globals (${allowed.join(', ')}, …). Nothing was executed; the file may be malicious.` +
          (opts.rejectHint ? ` ${opts.rejectHint}` : ''),
        qn,
        source,
      );
    }
    return new PickleGlobal(module, name, handler);
  };
  const callGlobal = (callable: unknown, args: unknown, op: string): unknown => {
    if (!(callable instanceof PickleGlobal)) fail(`${op} on a ${describe(callable)}, expected an allowlisted global`);
    const g = callable as PickleGlobal;
    if (!g.handler.call) fail(`${op}: global '${g.qualifiedName}' may not be called`);
    if (!Array.isArray(args)) fail(`${op}: arguments of '${g.qualifiedName}' are a ${describe(args)}, expected a tuple`);
    return g.handler.call!(args as unknown[]);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail(`SETITEM(S) on a ${describe(target)}, expected a dict`);
    if (items.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) fail(`APPEND(S) on a ${describe(target)}, expected a list`);
    (target as unknown[]).push(...items);
  };
  const addItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Set)) fail(`ADDITEMS on a ${describe(target)}, expected a set`);
    for (const it of items) (target as Set<unknown>).add(it);
  };
  const persistent = (pid: unknown) => {
    if (!opts.persistentLoad) fail('persistent id found but this pickle may not contain any');
    return opts.persistentLoad!(pid);
  };

  for (;;) {
    opPos = pos;
    if (pos >= bytes.length) fail('data ended without a STOP opcode (truncated?)');
    const op = bytes[pos++];
    switch (op) {
      case 0x80: {
        // PROTO
        const v = u8();
        if (v > 5) fail(`unsupported pickle protocol ${v}`);
        break;
      }
      case 0x95: // FRAME (frames are inline; the length is only a hint)
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;

      // --- constants
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(longFrom(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(longFrom(take(n)));
        break;
      }
      case 0x49: {
        // INT (text); I00/I01 are the protocol-0 bools
        const s = line();
        if (s === '00') stack.push(false);
        else if (s === '01') stack.push(true);
        else if (/^[-+]?\d+$/.test(s)) stack.push(intFromBigint(BigInt(s)));
        else fail(`bad INT literal '${s}'`);
        break;
      }
      case 0x4c: {
        // LONG (text)
        const s = line().replace(/L$/, '');
        if (!/^[-+]?\d+$/.test(s)) fail(`bad LONG literal '${s}'`);
        stack.push(intFromBigint(BigInt(s)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x46: {
        // FLOAT (text)
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/^[-+]?nan$/i.test(s)) fail(`bad FLOAT literal '${s}'`);
        stack.push(v);
        break;
      }

      // --- strings and bytes
      case 0x58: // BINUNICODE
        stack.push(text(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(take(u64())));
        break;
      case 0x54: {
        // BINSTRING (Python 2 str)
        const n = i32();
        if (n < 0) fail('negative BINSTRING length');
        stack.push(latin1.decode(take(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;

      // --- containers
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x74: {
        // TUPLE (pop the mark before touching `stack`: popMark rebinds it)
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        addItems(top(), items);
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(new Set(items));
        break;
      }

      // --- memo
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x70: {
        // PUT
        const s = line();
        if (!/^\d+$/.test(s)) fail(`bad PUT index '${s}'`);
        memo.set(Number(s), top());
        break;
      }
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET
        let idx: number;
        if (op === 0x68) idx = u8();
        else if (op === 0x6a) idx = u32();
        else {
          const s = line();
          if (!/^\d+$/.test(s)) fail(`bad GET index '${s}'`);
          idx = Number(s);
        }
        if (!memo.has(idx)) fail(`memo entry ${idx} is not defined`);
        stack.push(memo.get(idx));
        break;
      }

      // --- globals and object construction (allowlisted only)
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x69: {
        // INST "module\nname\n" with MARKed args
        const module = line();
        const name = line();
        const g = resolveGlobal(module, name);
        const args = popMark();
        stack.push(callGlobal(g, args, 'INST'));
        break;
      }
      case 0x6f: {
        // OBJ: MARK cls args...
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        stack.push(callGlobal(items[0], items.slice(1), 'OBJ'));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        stack.push(callGlobal(callable, args, 'REDUCE'));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(callGlobal(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (kwargs instanceof Map && kwargs.size > 0) fail('NEWOBJ_EX with keyword arguments is not supported');
        stack.push(callGlobal(cls, args, 'NEWOBJ_EX'));
        break;
      }
      case 0x62: {
        // BUILD: the state is recorded, never applied through code
        const state = pop();
        const obj = top();
        if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) fail(`BUILD on a ${describe(obj)}`);
        buildStates.set(obj as object, state);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x50: // PERSID
        stack.push(persistent(line()));
        break;
      case 0x82:
      case 0x83:
      case 0x84: {
        // EXT1/2/4: copyreg extension codes name globals indirectly; refuse them outright
        const code = op === 0x82 ? u8() : op === 0x83 ? u16() : i32();
        throw new PickleSecurityError(
          `${source}: refusing pickle extension code ${code} (pickle byte ${opPos}): extension registries can name arbitrary globals. Nothing was executed.`,
          `extension code ${code}`,
          source,
        );
      }
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        fail('out-of-band buffers (pickle protocol 5) are not supported');
        break;
      case 0x53: // STRING
      case 0x56: // UNICODE
        fail(`protocol-0 text strings (opcode '${String.fromCharCode(op)}') are not supported; re-save with a binary protocol`);
        break;
      default:
        fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** Short description of a pickle value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Map) return 'dict';
  if (v instanceof Set) return 'set';
  if (Array.isArray(v)) return 'tuple/list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PickleGlobal) return `global '${v.qualifiedName}'`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v === 'number' || typeof v === 'bigint' ? 'int/float' : typeof v;
}
