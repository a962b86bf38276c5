import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../src/backend/index.js';
import { outputAndGrads, relErr, type Operand } from '../../../../test-utils/grad-check.js';

/** Registers our kernels and initialises both backends (cpu is the reference). */
export async function setupBackends(): Promise<void> {
  registerWasmTrainingKernels();
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
  await tf.ready();
}

export { relErr, seeded, TOL, WorstError, type Operand } from '../../../../test-utils/grad-check.js';

/** [f(inputs), ...gradients] on `backend` (the shared check; inputs seeded from 7 as this suite always was). */
export function gradsOn(backend: string, f: (...xs: tf.Tensor[]) => tf.Tensor, operands: Operand[], seed = 7): Promise<Float32Array[]> {
  return outputAndGrads(backend, f, operands, { seed });
}

/** Worst relative error over all gradients of f: wasm (our kernels) against cpu. */
export async function wasmVsCpu(f: (...xs: tf.Tensor[]) => tf.Tensor, operands: Operand[]): Promise<number> {
  const w = await gradsOn('wasm', f, operands);
  const c = await gradsOn('cpu', f, operands);
  // Index 0 is the output: only the gradients are compared here (the forward kernels have their own tests).
  return Math.max(...w.slice(1).map((g, i) => relErr(g, c[i + 1])));
}
