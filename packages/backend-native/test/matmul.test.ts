import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNative, nativeVsCpu, setupNative, TOL, WorstError } from './helpers.js';

const worst = new WorstError();
afterAll(() => console.log(`native matmul kernels: max relative error ${worst.value.toExponential(2)} (${worst.where})`));

describeNative('native BatchMatMul / _FusedMatMul match cpu (output and gradients)', () => {
  beforeAll(setupNative);

  it('2-D, every transpose combination, odd sizes', async () => {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const [m, k, n] = [7, 13, 5];
        const err = await nativeVsCpu((a, b) => tf.matMul(a, b, ta, tb), [ta ? [k, m] : [m, k], tb ? [n, k] : [k, n]], ['BatchMatMul']);
        expect(worst.note(err, `2-D ta ${ta} tb ${tb}`)).toBeLessThan(TOL);
      }
    }
  });

  // tfjs's BatchMatMul gradient does not reduce broadcast batches (it fails on every backend): those
  // cases compare the product only.
  it('batched: equal batches, a batched x b unbatched, a unbatched x b batched, rank 4', async () => {
    const cases: Array<[number[], number[], boolean, boolean, boolean]> = [
      [[3, 6, 9], [3, 9, 4], false, false, true],
      [[3, 9, 6], [3, 4, 9], true, true, true],
      [[2, 3, 5, 7], [2, 3, 7, 4], false, false, true],
      [[4, 6, 9], [9, 5], false, false, false],
      [[4, 9, 6], [9, 5], true, false, false],
      [[6, 9], [2, 9, 5], false, false, false],
      [[6, 9], [2, 5, 9], false, true, false],
    ];
    for (const [as, bs, ta, tb, grads] of cases) {
      const err = await nativeVsCpu((a, b) => tf.matMul(a, b, ta, tb), [as, bs], ['BatchMatMul'], grads);
      expect(worst.note(err, `batched [${as}] x [${bs}] ta ${ta} tb ${tb}`)).toBeLessThan(TOL);
    }
  });

  it('fused matMul: bias + linear/relu/relu6/leakyrelu, with transposes (a Dense layer\'s product)', async () => {
    for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu'] as const) {
      for (const tb of [false, true]) {
        const err = await nativeVsCpu(
          (a, b, bias) => tf.fused.matMul({ a: tf.mul(a, 6), b, transposeB: tb, bias, activation, leakyreluAlpha: 0.3 }),
          [[8, 20], tb ? [12, 20] : [20, 12], [12]],
          ['_FusedMatMul', 'BatchMatMul'],
        );
        expect(worst.note(err, `fused ${activation} tb ${tb}`)).toBeLessThan(TOL);
      }
    }
  });

  it('a Dense layer (tf.layers) forward and backward', async () => {
    const err = await nativeVsCpu(
      (x, w, b) => {
        const y = tf.add(tf.matMul(x, w), b);
        return tf.relu(y);
      },
      [[16, 270], [270, 100], [100]],
      ['BatchMatMul'],
    );
    expect(worst.note(err, 'dense 270->100')).toBeLessThan(TOL);
  });
});
