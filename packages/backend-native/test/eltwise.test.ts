import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nativeKernelStats } from '../src/index.js';
import { describeNative, evalOn, fallbacksSince, nativeVsCpu, relErr, setupNative, TOL, WorstError } from './helpers.js';

const worst = new WorstError();
afterAll(() => console.log(`native elementwise/reduction kernels: max relative error ${worst.value.toExponential(2)} (${worst.where})`));

// 2 x 48 x 40 x 12 = 46080 elements: above the size where the native kernels take over.
const X = [2, 48, 40, 12];
// Same-shape and scalar operations go native from 2^18 elements: 2 x 128 x 128 x 8.
const BIG = [2, 128, 128, 8];

describeNative('native elementwise and reduction kernels match cpu (values and gradients)', () => {
  beforeAll(setupNative);

  it('Add / Sub / Multiply / RealDiv / SquaredDifference: same shape, per-channel, trailing block, scalar, either side', async () => {
    const ops: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
      ['Add', tf.add],
      ['Sub', tf.sub],
      ['Multiply', tf.mul],
      // Keep the divisor away from 0.
      ['RealDiv', (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
      ['SquaredDifference', tf.squaredDifference],
    ];
    const pairs: number[][][] = [[BIG, BIG], [X, [12]], [X, [40, 12]], [X, [1, 1, 12]], [BIG, [1]], [[12], X], [[40, 12], X], [[1], BIG]];
    for (const [name, f] of ops) {
      for (const [as, bs] of pairs) {
        // tfjs's SquaredDifference gradient does not reduce broadcasts (on any backend): values only.
        const grads = name !== 'SquaredDifference' || as.length === bs.length;
        const err = await nativeVsCpu(f, [as, bs], [name], grads, true);
        expect(worst.note(err, `${name} [${as}] [${bs}]`)).toBeLessThan(TOL);
      }
    }
  });

  it('Sum / Mean over leading axes (per channel), trailing axes and all axes, keepDims or not', async () => {
    for (const [name, f] of [['Sum', tf.sum], ['Mean', tf.mean]] as const) {
      for (const axes of [[0, 1, 2], [0], [0, 1], [3], [2, 3], [1, 2, 3], [0, 1, 2, 3]]) {
        for (const keepDims of [false, true]) {
          const err = await nativeVsCpu((x) => f(x, axes, keepDims), [X], [name], true, true);
          expect(worst.note(err, `${name} axes ${axes} keepDims ${keepDims}`)).toBeLessThan(TOL);
        }
      }
      // Few rows, many columns (split over columns).
      const err = await nativeVsCpu((x) => f(x, 0), [[3, 20000]], [name], true, true);
      expect(worst.note(err, `${name} [3, 20000] axis 0`)).toBeLessThan(TOL);
    }
  });

  it('the BatchNorm training path (moments + batchNorm + relu) with its gradients (native BatchNorm, Mean and Relu gradients)', async () => {
    const err = await nativeVsCpu(
      (x, gamma, beta) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.relu(tf.batchNorm(x, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5));
      },
      [X, [12], [12]],
      ['Mean', 'Sub', 'Sum', 'FusedBatchNorm', 'HrnetNativeBnGradReduce', 'HrnetNativeBroadcastDiv', 'HrnetNativeReluGrad'],
      true,
      true,
    );
    expect(worst.note(err, 'batchnorm train path')).toBeLessThan(TOL);
    // Eval mode (running statistics as plain tensors), channels not a multiple of the vector width.
    const err2 = await nativeVsCpu(
      (x, m, v, gamma, beta) => tf.batchNorm(x, m, tf.add(tf.abs(v), 0.1), beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3),
      [[2, 32, 41, 13], [13], [13], [13], [13]],
      ['FusedBatchNorm', 'HrnetNativeBnGradReduce'],
      true,
      true,
    );
    expect(worst.note(err2, 'batchnorm eval path')).toBeLessThan(TOL);
  });

  it('small tensors, same-shape products below 2^18 elements, other broadcasts and int32 go to the stock kernels', async () => {
    const before = nativeKernelStats();
    for (const [as, bs] of [[[4, 4], [4, 4]], [X, [2, 1, 1, 12]], [X, [2, 48, 1, 12]], [X, X]]) {
      const w = await evalOn('wasm', tf.mul, [as, bs], false);
      const c = await evalOn('cpu', tf.mul, [as, bs], false);
      expect(relErr(w[0], c[0])).toBeLessThan(TOL);
    }
    expect(fallbacksSince(before, 'Multiply')).toBe(4);
    await tf.setBackend('wasm');
    const before2 = nativeKernelStats();
    const ints = tf.tidy(() => tf.add(tf.ones(BIG, 'int32'), tf.ones(BIG, 'int32')).dataSync());
    expect(ints[0]).toBe(2);
    expect(fallbacksSince(before2, 'Add')).toBe(1);
  });
});
