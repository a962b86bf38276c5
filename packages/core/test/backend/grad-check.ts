import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../src/backend/index.js';

/** Registers our kernels and initialises both backends (cpu is the reference). */
export async function setupBackends(): Promise<void> {
  registerWasmTrainingKernels();
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

export interface Operand {
  shape: number[];
  values?: Float32Array;
  dtype?: 'float32' | 'int32';
}

/**
 * Gradients of loss = sum(f(inputs) * p) with respect to every input, p a fixed pseudo-random tensor
 * (so dy is not uniform), computed on `backend`. Returns [loss value, ...gradients] as plain arrays.
 */
export async function gradsOn(backend: string, f: (...xs: tf.Tensor[]) => tf.Tensor, operands: Operand[], seed = 7): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = operands.map((o, i) => tf.tensor(o.values ?? seeded(o.shape.reduce((a, b) => a * b, 1), seed + i), o.shape, o.dtype ?? 'float32'));
  const outs = tf.tidy(() => {
    const loss = (...args: tf.Tensor[]) => {
      const y = f(...args);
      const p = tf.tensor(seeded(y.size, 99), y.shape);
      return tf.sum(tf.mul(y, p));
    };
    const { value, grads } = tf.valueAndGrads(loss)(xs);
    return [value, ...grads];
  });
  // Async reads: webgpu tensors cannot be read synchronously in Node.
  const arrays = (await Promise.all(outs.map((t) => t.data()))) as Float32Array[];
  tf.dispose([...outs, ...xs]);
  return arrays;
}

/** max |a - b| / max |b| (0 when b is all zeros and a equals it). */
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

/** Worst relative error over all gradients of f: wasm (our kernels) against cpu. */
export async function wasmVsCpu(f: (...xs: tf.Tensor[]) => tf.Tensor, operands: Operand[]): Promise<number> {
  const w = await gradsOn('wasm', f, operands);
  const c = await gradsOn('cpu', f, operands);
  // Index 0 is the loss itself: a sum with cancellation, so only the gradients are compared.
  return Math.max(...w.slice(1).map((g, i) => relErr(g, c[i + 1])));
}

/** Largest error seen by a test file, printed once at the end for the record. */
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

export const TOL = 1e-5;
