import * as tf from '@tensorflow/tfjs';

/**
 * Shared plumbing of the training kernels we register for the `wasm` backend.
 *
 * Our kernels are compositions of the wasm backend's own kernels, called directly through
 * `tf.getKernel(name, 'wasm').kernelFunc` (so nothing is recorded on the gradient tape), plus a few
 * plain-JS loops over the wasm heap. Every intermediate is freed with `backend.disposeData`.
 */

export type Info = tf.TensorInfo;
export type DType = tf.DataType;

/** The part of `BackendWasm` (@tensorflow/tfjs-backend-wasm) our kernels use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DType, memoryOffset?: number, values?: tf.backend_util.BackendValues): Info;
  typedArrayFromHeap(info: Info): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
  readSync(dataId: object): tf.backend_util.BackendValues;
}

/** Arguments every kernelFunc receives. */
export interface KernelArgs {
  inputs: Record<string, Info | undefined>;
  backend: WasmBackendLike;
  attrs?: Record<string, unknown>;
}

const ORIGINALS_KEY = Symbol.for('@hrnet/core:wasm-original-kernels');

/**
 * The wasm kernels that existed before we replaced them, shared by every copy of this module
 * (tf's kernel registry is global, so our record of what we replaced must be too).
 */
export function originalKernels(): Map<string, tf.KernelConfig> {
  const g = globalThis as unknown as Record<symbol, Map<string, tf.KernelConfig> | undefined>;
  return (g[ORIGINALS_KEY] ??= new Map());
}

/** The kernel `name` of the wasm backend as shipped (the original when we replaced it). */
export function wasmKernel(name: string, original = false): tf.KernelConfig {
  const k = (original ? originalKernels().get(name) : undefined) ?? tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel '${name}' is not registered: import '@tensorflow/tfjs-backend-wasm' first`);
  return k;
}

/** Runs a wasm kernel directly, outside the engine (no tape, no tracking). */
export function callKernel(
  name: string,
  backend: WasmBackendLike,
  inputs: Record<string, Info | undefined>,
  attrs: Record<string, unknown> = {},
  original = false,
): Info {
  const out = wasmKernel(name, original).kernelFunc({ inputs, backend, attrs } as never);
  if (Array.isArray(out)) throw new Error(`wasm kernel '${name}' returned several outputs`);
  return out as Info;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The same data seen with another shape (no copy, no ownership). */
export function view(info: Info, shape: number[]): Info {
  if (sizeOf(shape) !== sizeOf(info.shape)) throw new Error(`view: cannot see [${info.shape}] as [${shape}]`);
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** Explicit zero padding [top, bottom, left, right]; entries may be negative (= cropping). */
export type Pads4 = [number, number, number, number];

export interface ConvOpts {
  strides?: [number, number];
  dilations?: [number, number];
  pads: Pads4;
}

/**
 * Owns the intermediates of one kernel call: every tensor made through it is freed by `dispose()`
 * except the ones handed out with `release()`.
 */
export class KernelScope {
  private owned: Info[] = [];

  constructor(readonly backend: WasmBackendLike) {}

  track(info: Info): Info {
    this.owned.push(info);
    return info;
  }

  run(name: string, inputs: Record<string, Info | undefined>, attrs: Record<string, unknown> = {}, original = false): Info {
    return this.track(callKernel(name, this.backend, inputs, attrs, original));
  }

  /** Hands `info` (or a view of an owned tensor) to the caller: it will not be freed. */
  release(info: Info): Info {
    const i = this.owned.findIndex((o) => o.dataId === info.dataId);
    if (i >= 0) this.owned.splice(i, 1);
    return info;
  }

  /** Frees an owned intermediate early (keeps peak memory down). */
  free(info: Info): void {
    const i = this.owned.findIndex((o) => o.dataId === info.dataId);
    if (i >= 0) {
      this.owned.splice(i, 1);
      this.backend.disposeData(info.dataId);
    }
  }

  dispose(): void {
    for (const o of this.owned) this.backend.disposeData(o.dataId);
    this.owned = [];
  }

  /** A new float32/int32 tensor, uninitialised unless `values` is given. */
  alloc(shape: number[], dtype: DType = 'float32', values?: tf.backend_util.BackendValues): Info {
    return this.track(this.backend.makeOutput(shape, dtype, undefined, values));
  }

  zeros(shape: number[], dtype: DType = 'float32'): Info {
    const out = this.alloc(shape, dtype);
    this.heap(out).fill(0);
    return out;
  }

  /** A live view of the tensor's data on the wasm heap. Re-fetch after any allocation (the heap may grow). */
  heap(info: Info): Float32Array | Int32Array | Uint8Array {
    return this.backend.typedArrayFromHeap(info);
  }

  f32(info: Info): Float32Array {
    if (info.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${info.dtype}`);
    return this.backend.typedArrayFromHeap(info) as Float32Array;
  }

  /** Transpose; a permutation that moves only size-1 axes is a free view. */
  transpose(x: Info, perm: number[]): Info {
    const outShape = perm.map((p) => x.shape[p]);
    const moved = perm.filter((p) => x.shape[p] !== 1);
    if (moved.every((p, i) => i === 0 || moved[i - 1] < p)) return view(x, outShape);
    return this.run('Transpose', { x }, { perm });
  }

  /** Rows/columns [h0, h0+h) x [w0, w0+w) of an NHWC tensor (a copy; the whole tensor is a view). */
  crop(x: Info, h0: number, h: number, w0: number, w: number): Info {
    const [n, H, W, c] = x.shape;
    if (h0 === 0 && w0 === 0 && h === H && w === W) return x;
    const out = this.alloc([n, h, w, c], x.dtype);
    const src = this.heap(x);
    const dst = this.heap(out);
    const rowLen = w * c;
    let o = 0;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < h; i++) {
        const s = ((b * H + h0 + i) * W + w0) * c;
        dst.set(src.subarray(s, s + rowLen), o);
        o += rowLen;
      }
    }
    return out;
  }

  /** Conv2D (or DepthwiseConv2dNative) with explicit padding; negative padding crops the input first. */
  conv(x: Info, filter: Info, { strides = [1, 1], dilations = [1, 1], pads }: ConvOpts, depthwise = false): Info {
    const [t, b, l, r] = pads;
    let input = x;
    if (t < 0 || b < 0 || l < 0 || r < 0) {
      const [, H, W] = x.shape;
      const h0 = Math.max(0, -t);
      const w0 = Math.max(0, -l);
      input = this.crop(x, h0, H - h0 - Math.max(0, -b), w0, W - w0 - Math.max(0, -r));
    }
    const pad = [
      [0, 0],
      [Math.max(0, t), Math.max(0, b)],
      [Math.max(0, l), Math.max(0, r)],
      [0, 0],
    ];
    const attrs = { strides, dilations, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    return this.run(depthwise ? 'DepthwiseConv2dNative' : 'Conv2D', { x: input, filter }, attrs);
  }
}

/** Runs `body` with a scope whose leftovers are freed however `body` ends. */
export function withScope(backend: WasmBackendLike, body: (s: KernelScope) => Info): Info {
  const s = new KernelScope(backend);
  try {
    return s.release(body(s));
  } finally {
    s.dispose();
  }
}

/** Explicit pads [top, bottom, left, right] of a conv as tf resolves them (numbers, 'same', 'valid', arrays). */
export function padsOf(info: tf.backend_util.Conv2DInfo): Pads4 {
  const p = info.padInfo;
  return [p.top, p.bottom, p.left, p.right];
}

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];
