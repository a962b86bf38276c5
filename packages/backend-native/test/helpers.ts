import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect } from 'vitest';
import { nativeKernelStats, nativeStatus, registerNativeKernels } from '../src/index.js';
import { outputAndGrads, relErr } from '../../../test-utils/grad-check.js';

export const status = nativeStatus();
/** Appended to suite titles so a skip is visible in the report, with its reason. */
export const skipNote = status.available ? '' : ` [SKIPPED: native addon unavailable: ${status.reason}]`;
if (!status.available) console.warn(`@hrnet/backend-native tests skipped: ${status.reason}`);

/** `describe` that skips, saying why, when the addon is not built or cannot load. */
export const describeNative = (title: string, body: () => void) => describe.skipIf(!status.available)(title + skipNote, body);

/**
 * Our kernels over the stock tfjs-wasm ones (their fallbacks); both backends initialised (cpu is the
 * reference). @hrnet/core's training kernels are left out: this package does not depend on core, and its
 * kernels must stand on the stock ones. The native backend as core sets it up (initBackend('native'): ours
 * over core's training kernels) is tested in core's suite (packages/core/test/backend/native-*.test.ts).
 */
export async function setupNative(): Promise<void> {
  registerNativeKernels();
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
  await tf.ready();
}

export { relErr, seeded, TOL, WorstError } from '../../../test-utils/grad-check.js';

/** [f(inputs), ...gradients] on `backend` (the shared check; inputs seeded from 11); `grads: false`: the output only. */
export function evalOn(backend: string, f: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], grads = true): Promise<Float32Array[]> {
  return outputAndGrads(backend, f, shapes, { grads });
}

/**
 * Runs f (and its gradients) on wasm with the native kernels and on cpu; returns the worst relative error
 * over the output and every gradient, and asserts that the named kernels ran natively (and, unless
 * `allowFallback`, never fell back: elementwise kernels leave small tensors to the stock kernels).
 */
export async function nativeVsCpu(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  shapes: number[][],
  kernels: string[],
  grads = true,
  allowFallback = false,
): Promise<number> {
  const before = nativeKernelStats();
  const w = await evalOn('wasm', f, shapes, grads);
  const after = nativeKernelStats();
  const c = await evalOn('cpu', f, shapes, grads);
  for (const k of kernels) {
    const ran = (after[k]?.native ?? 0) - (before[k]?.native ?? 0);
    const fell = (after[k]?.fallback ?? 0) - (before[k]?.fallback ?? 0);
    expect({ kernel: k, native: ran > 0, fallback: allowFallback ? 0 : fell }).toEqual({ kernel: k, native: true, fallback: 0 });
  }
  return Math.max(...w.map((g, i) => relErr(g, c[i])));
}

/** Calls of `kernel` that went to the fallback since `before`. */
export function fallbacksSince(before: ReturnType<typeof nativeKernelStats>, kernel: string): number {
  return (nativeKernelStats()[kernel]?.fallback ?? 0) - (before[kernel]?.fallback ?? 0);
}
