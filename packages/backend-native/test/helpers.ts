import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect } from 'vitest';
import { nativeKernelStats, nativeStatus, registerNativeKernels } from '../src/index.js';

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

/** Deterministic values in [-1, 1) (a fixed LCG), so failures reproduce. */
export function seeded(n: number, seed = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** max |a - b| / max |b|. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return scale === 0 ? err : err / scale;
}

export const TOL = 1e-5;

/**
 * f(inputs) and the gradients of sum(f(inputs) * p) (p fixed pseudo-random) on `backend`, as arrays:
 * [output, ...gradients]. `grads: false` computes the output only.
 */
export async function evalOn(backend: string, f: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], grads = true): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = shapes.map((s, i) => tf.tensor(seeded(s.reduce((a, b) => a * b, 1), 11 + i), s));
  const outs = tf.tidy(() => {
    if (!grads) return [f(...xs)];
    const loss = (...args: tf.Tensor[]) => {
      const y = f(...args);
      return tf.sum(tf.mul(y, tf.tensor(seeded(y.size, 99), y.shape)));
    };
    const g = tf.grads(loss)(xs);
    return [f(...xs), ...g];
  });
  const arrays = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...outs, ...xs]);
  return arrays;
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

/** Largest error seen by a test file, printed at the end for the record. */
export class WorstError {
  value = 0;
  where = '';
  note(err: number, where: string): number {
    if (err > this.value) {
      this.value = err;
      this.where = where;
    }
    return err;
  }
}
