import * as tf from '@tensorflow/tfjs';

/** How the wasm backend's out-of-memory error begins (@hrnet/backend-native's kernels throw the same words). */
export const WASM_HEAP_EXHAUSTED = 'the wasm heap is exhausted';

interface WasmModuleLike {
  _malloc(bytes: number): number;
  _free(at: number): void;
  HEAPU8: Uint8Array;
}

interface Guard {
  malloc: (bytes: number) => number;
  free: (at: number) => void;
  /** Set by {@link limitWasmHeap}: bytes allowed, bytes live, and each live block's size. */
  limit?: WasmHeapLimit & { blocks: Map<number, number> };
}

/** A {@link limitWasmHeap} budget: its size, and the bytes allocated under it now and at most so far. */
export interface WasmHeapLimit {
  readonly max: number;
  live: number;
  peak: number;
}

const GUARD = Symbol.for('@hrnet/core:wasm-heap-guard');

function wasmModule(): (WasmModuleLike & { [GUARD]?: Guard }) | undefined {
  return (tf.findBackend('wasm') as unknown as { wasm?: WasmModuleLike & { [GUARD]?: Guard } } | null)?.wasm;
}

/**
 * Makes the wasm backend throw a `RangeError` (`the wasm heap is exhausted: ...`) when its `malloc` fails,
 * before anything is registered or copied, instead of placing the tensor at address 0 and overwriting the
 * heap's start. Why: the heap tops out at 4 GB, and a batch that does not fit must be an error a trainer can
 * catch, free and retry with a smaller micro-batch (@hrnet/train's `microBatch: 'auto'`), not silent corruption.
 */
export function guardWasmHeap(): void {
  const wasm = wasmModule();
  if (!wasm || wasm[GUARD]) return;
  const guard: Guard = { malloc: wasm._malloc, free: wasm._free };
  wasm[GUARD] = guard;
  const malloc = (bytes: number) => {
    const lim = guard.limit;
    let at = lim && lim.live + bytes > lim.max ? 0 : guard.malloc(bytes) >>> 0;
    // At the 4 GB top, malloc has been seen to return a block that ends past the heap: as full as a 0.
    if (at !== 0 && at + bytes > wasm.HEAPU8.length) {
      guard.free(at);
      at = 0;
    }
    if (at === 0 && bytes > 0) {
      throw new RangeError(`${WASM_HEAP_EXHAUSTED}: no room for ${(bytes / 2 ** 20).toFixed(1)} MB more (the heap tops out at ${lim ? `${(lim.max / 2 ** 20).toFixed(1)} MB, limitWasmHeap` : '4 GB'}; use a smaller batch)`);
    }
    if (lim) {
      lim.blocks.set(at, bytes);
      lim.live += bytes;
      lim.peak = Math.max(lim.peak, lim.live);
    }
    return at;
  };
  const free = (at: number) => {
    const lim = guard.limit;
    const bytes = lim?.blocks.get(at);
    if (lim && bytes != null) {
      lim.blocks.delete(at);
      lim.live -= bytes;
    }
    guard.free(at);
  };
  // Accessors: emscripten's lazy export stubs replace `Module._malloc` with the raw export on their first call.
  Object.defineProperty(wasm, '_malloc', { configurable: true, get: () => malloc, set: (f: Guard['malloc']) => (guard.malloc = f) });
  Object.defineProperty(wasm, '_free', { configurable: true, get: () => free, set: (f: Guard['free']) => (guard.free = f) });
}

/**
 * Lets the wasm backend allocate at most `maxBytes` more than it holds now (undefined: back to the whole heap).
 * For tests of out-of-memory handling at small sizes, and to leave memory to other processes. Returns the
 * budget, whose `live` and `peak` count the bytes allocated under it.
 */
export function limitWasmHeap(maxBytes: number | undefined): WasmHeapLimit | undefined {
  guardWasmHeap();
  const guard = wasmModule()?.[GUARD];
  if (!guard) throw new Error("limitWasmHeap: the 'wasm' backend is not initialised");
  guard.limit = maxBytes == null ? undefined : { max: maxBytes, live: 0, peak: 0, blocks: new Map() };
  return guard.limit;
}
