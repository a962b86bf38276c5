import type * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon.js';

/** The part of tfjs-backend-wasm's `BackendWasm` the native kernels use. */
export interface WasmBackend {
  dataIdMap: { has(dataId: object): boolean; get(dataId: object): { memoryOffset: number | null } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  wasm: { HEAPU8: Uint8Array };
}

export interface KernelArgs {
  inputs: Record<string, tf.TensorInfo | undefined>;
  backend: WasmBackend;
  attrs?: Record<string, unknown>;
}

export type NativeKernel = (args: KernelArgs) => tf.TensorInfo;

/** What a kernel needs besides its arguments: the addon and the kernel it replaced. */
export interface KernelContext {
  addon: NativeAddon;
  /** Runs the kernel that was registered before ours (tfjs's, or @hrnet/core's training kernel). */
  fallback(name: string, args: KernelArgs): tf.TensorInfo;
  /** Counts native runs and fallbacks per kernel (see `nativeKernelStats`). */
  count(name: string, native: boolean): void;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const isF32 = (...ts: Array<tf.TensorInfo | undefined>): boolean => ts.every((t) => t == null || t.dtype === 'float32');

/** Byte offset of a tensor's data on the wasm heap. */
export function offsetOf(backend: WasmBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.has(t.dataId) ? backend.dataIdMap.get(t.dataId) : undefined;
  if (data?.memoryOffset == null) throw new Error('tensor data is not on the wasm heap (disposed, or not a wasm tensor)');
  // malloc's failure value: the wasm heap could not grow (it tops out at 4 GB). Address 0 is never a
  // real allocation; writing there would corrupt the heap.
  if (data.memoryOffset === 0 && sizeOf(t.shape) > 0) {
    throw new RangeError(`the wasm heap is exhausted: no room for a [${t.shape}] tensor (the heap tops out at 4 GB; use a smaller batch)`);
  }
  return data.memoryOffset;
}

/**
 * Allocates the outputs, then calls the addon with the heap as it is *after* the allocations (an
 * allocation can grow wasm memory, which replaces its ArrayBuffer). Returns undefined (outputs freed)
 * when the addon has no implementation for the parameters, so the caller can fall back.
 */
export function runNative(
  backend: WasmBackend,
  outShapes: number[][],
  call: (heap: ArrayBuffer, outs: tf.TensorInfo[]) => boolean,
): tf.TensorInfo[] | undefined {
  const outs: tf.TensorInfo[] = [];
  try {
    for (const shape of outShapes) outs.push(backend.makeOutput(shape, 'float32'));
    if (call(backend.wasm.HEAPU8.buffer as ArrayBuffer, outs)) return outs;
  } catch (e) {
    for (const o of outs) backend.disposeData(o.dataId);
    throw e;
  }
  for (const o of outs) backend.disposeData(o.dataId);
  return undefined;
}

/** Counts a call the addon does not take and hands it to the kernel ours replaced. */
export function fallBack(name: string, ctx: KernelContext, args: KernelArgs): tf.TensorInfo {
  ctx.count(name, false);
  return ctx.fallback(name, args);
}

/**
 * Runs the addon into one new tensor of `outShape` (see {@link runNative}) and counts the outcome; where
 * the addon has no implementation for the parameters, the replaced kernel runs instead.
 */
export function runOrFallBack(
  name: string,
  ctx: KernelContext,
  args: KernelArgs,
  outShape: number[],
  call: (heap: ArrayBuffer, out: tf.TensorInfo) => boolean,
): tf.TensorInfo {
  const outs = runNative(args.backend, [outShape], (heap, [out]) => call(heap, out));
  ctx.count(name, outs !== undefined);
  return outs ? outs[0] : ctx.fallback(name, args);
}

/** tfjs fused-kernel activations the addon applies as a oneDNN post-op; others fall back. */
export function activationCode(activation: unknown): number | undefined {
  switch (activation ?? 'linear') {
    case 'linear':
      return 0;
    case 'relu':
      return 1;
    case 'relu6':
      return 2;
    case 'leakyrelu':
      return 3;
    default:
      return undefined;
  }
}

/** A bias the addon can add: `channels` values along the last axis ([c] or [1, ..., 1, c]). */
export function perChannelBias(bias: tf.TensorInfo | undefined, channels: number): boolean {
  if (!bias) return true;
  const s = bias.shape;
  return s.length > 0 && s[s.length - 1] === channels && sizeOf(s) === channels;
}
