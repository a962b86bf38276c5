/**
 * The kernel gradient checks' shared pieces: deterministic operands, a kernel's output and gradients on one
 * backend, and the relative error used against the cpu reference. Used by @hrnet/core's backend tests (our
 * wasm training kernels) and @hrnet/backend-native's (the oneDNN kernels); it imports tfjs alone, so
 * backend-native's tests stay independent of core.
 */
import * as tf from '@tensorflow/tfjs';

/** Relative tolerance of every kernel-vs-cpu comparison. */
export const TOL = 1e-5;

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

/** max |a - b| / max |b| (the absolute error when b is all zeros; Infinity on a length mismatch or NaN). */
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

/** An input of the function under test: its shape, and values (default `seeded`) and dtype (default float32). */
export interface Operand {
  shape: number[];
  values?: Float32Array;
  dtype?: 'float32' | 'int32';
}

/**
 * On `backend`: [f(inputs), ...gradients of sum(f(inputs) * p) with respect to every input], p a fixed
 * pseudo-random tensor (so dy is not uniform), as plain arrays. Inputs without values are `seeded(n, seed + i)`.
 * `grads: false` computes the output only.
 */
export async function outputAndGrads(
  backend: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  operands: (Operand | number[])[],
  { grads = true, seed = 11 }: { grads?: boolean; seed?: number } = {},
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const ops = operands.map((o) => (Array.isArray(o) ? { shape: o } : o) as Operand);
  const xs = ops.map((o, i) => tf.tensor(o.values ?? seeded(o.shape.reduce((a, b) => a * b, 1), seed + i), o.shape, o.dtype ?? 'float32'));
  const outs = tf.tidy(() => {
    if (!grads) return [f(...xs)];
    const loss = (...args: tf.Tensor[]) => {
      const y = f(...args);
      return tf.sum(tf.mul(y, tf.tensor(seeded(y.size, 99), y.shape)));
    };
    return [f(...xs), ...tf.grads(loss)(xs)];
  });
  // Async reads: webgpu tensors cannot be read synchronously in Node.
  const arrays = (await Promise.all(outs.map((t) => t.data()))) as Float32Array[];
  tf.dispose([...outs, ...xs]);
  return arrays;
}

/** Transposed-convolution cases (kernel, padding, output H x W for a 5 x 6 input at stride 2) both kernel suites run. */
export const CONV_TRANSPOSE_CASES = [
  [3, 'same', [10, 12]],
  [4, 'same', [10, 12]],
  [3, 'valid', [11, 13]],
  [4, 'valid', [12, 14]],
] as const;

/** Largest error seen by a test file, printed at the end for the record (each error is also asserted). */
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
