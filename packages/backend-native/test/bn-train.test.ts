import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../src/index.js';
import { describeNative, relErr, seeded, setupNative, TOL, WorstError } from './helpers.js';

const worst = new WorstError();
afterAll(() => console.log(`training BatchNorm kernels: max relative error ${worst.value.toExponential(2)} (${worst.where})`));

const EPS = 1e-5;

/** Reference on cpu: moments + batchNorm forward; autodiff of sum(y * dy) through both for the gradients. */
function reference(xv: Float32Array, shape: number[], g: Float32Array, b: Float32Array, dyv: Float32Array): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor(xv, shape);
    const gamma = tf.tensor1d(g);
    const beta = tf.tensor1d(b);
    const dy = tf.tensor(dyv, shape);
    const axes = shape.slice(0, -1).map((_, i) => i);
    const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
      const { mean, variance } = tf.moments(xx, axes);
      return tf.batchNorm(xx, mean, variance, bb as tf.Tensor1D, gg as tf.Tensor1D, EPS);
    };
    const { mean, variance } = tf.moments(x, axes);
    const y = f(x, gamma, beta);
    const [dx, dg, db] = tf.grads((xx, gg, bb) => tf.sum(tf.mul(f(xx, gg, bb), dy)))([x, gamma, beta]);
    return [y, mean, variance, dx, dg, db].map((t) => t.dataSync() as Float32Array);
  });
}

describeNative('training-mode BatchNorm kernels (for a model BatchNorm op to call) match moments + batchNorm + autodiff on cpu', () => {
  beforeAll(setupNative);

  it('[y, mean, variance] and [dx, dgamma, dbeta]: 2 threads (large), one thread (small), rank 2, one channel', async () => {
    for (const shape of [[2, 48, 40, 12], [3, 5, 7, 18], [1000, 7], [4, 9, 9, 1], [8, 14, 14, 64]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const c = shape[shape.length - 1];
      // An offset mean, so that E[x^2] - mean^2 is tested for cancellation.
      const xv = seeded(n, 3).map((v, i) => 3 + 2 * v + (i % c) * 0.1);
      const g = seeded(c, 4).map((v) => 1 + 0.5 * v);
      const b = seeded(c, 5);
      const dyv = seeded(n, 6);
      await tf.setBackend('cpu');
      const ref = reference(xv, shape, g, b, dyv);
      await tf.setBackend('wasm');
      const got = tf.tidy(() => {
        const x = tf.tensor(xv, shape);
        const gamma = tf.tensor1d(g);
        const fwd = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta: tf.tensor1d(b) }, { epsilon: EPS }) as unknown as tf.Tensor[];
        const [, mean, variance] = fwd;
        const bwd = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy: tf.tensor(dyv, shape), x, mean, variance, gamma }, { epsilon: EPS }) as unknown as tf.Tensor[];
        return [...fwd, ...bwd];
      });
      const arrays = got.map((t) => t.dataSync() as Float32Array);
      tf.dispose(got);
      ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((k, i) => {
        expect(worst.note(relErr(arrays[i], ref[i]), `${k} [${shape}]`), `${k} [${shape}]`).toBeLessThan(TOL);
      });
    }
  });

  it('without gamma / beta, and rejects what it cannot do', async () => {
    await tf.setBackend('wasm');
    const [y, mean] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: tf.tensor2d([1, 2, 3, 5], [2, 2]) }, { epsilon: 0 }) as unknown as tf.Tensor[];
    expect(Array.from(mean.dataSync())).toEqual([2, 3.5]);
    expect(Array.from(y.dataSync())).toEqual([-1, -1, 1, 1]);
    expect(() => tf.engine().runKernel(BATCH_NORM_TRAIN, { x: tf.tensor1d([1, 2]) }, { epsilon: 0 })).toThrow(/rank >= 2/);
    expect(() => tf.engine().runKernel(BATCH_NORM_TRAIN, { x: tf.ones([2, 3]), gamma: tf.ones([2]) }, { epsilon: 0 })).toThrow(/3 values/);
  });
});
