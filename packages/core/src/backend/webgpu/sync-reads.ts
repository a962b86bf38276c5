/**
 * Synchronous reads of webgpu tensors in Node. tfjs-backend-webgpu reads synchronously through a WebGPU
 * canvas (`OffscreenCanvas`), which Node does not have, and Dawn for Node completes a buffer mapping only
 * on the event loop, so no synchronous read exists there: `dataSync()`, `arraySync()`, `bufferSync()`
 * and using a webgpu tensor after switching to another backend cannot work. Instead of tfjs's
 * `ReferenceError: OffscreenCanvas is not defined` they throw one line saying what to call instead.
 * Values still on the CPU side (not yet uploaded) are returned as before.
 */

interface TensorData {
  values?: unknown;
  dtype: string;
}
interface WebGpuBackendClass {
  prototype: { readSync(dataId: object): unknown; tensorMap: { get(dataId: object): TensorData | undefined } };
}

export const SYNC_READ_MESSAGE =
  "webgpu in Node cannot read a tensor synchronously (dataSync/arraySync/bufferSync, or using a webgpu tensor on another backend): " +
  'Dawn completes GPU reads only on the event loop; use `await tensor.data()` / `await tensor.array()`';

const guarded = new WeakSet<object>();

/** Idempotent; a no-op where `OffscreenCanvas` exists (browsers, Deno), whose sync reads work. */
export function guardSyncReads(backendClass: WebGpuBackendClass): void {
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined') return;
  const proto = backendClass.prototype;
  if (guarded.has(proto)) return;
  const original = proto.readSync;
  proto.readSync = function (this: typeof proto, dataId: object) {
    const d = this.tensorMap.get(dataId);
    if (d && d.values == null && d.dtype !== 'string' && d.dtype !== 'complex64') throw new Error(SYNC_READ_MESSAGE);
    return original.call(this, dataId);
  };
  guarded.add(proto);
}
