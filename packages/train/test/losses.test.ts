import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradValue, crossEntropy } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('crossEntropy with label smoothing', () => {
  // logits [0, ln 2, ln 5] -> softmax [1/8, 2/8, 5/8]; label 2
  const logits = () => tf.tensor2d([[0, Math.log(2), Math.log(5)]]);
  const logp = [Math.log(1 / 8), Math.log(2 / 8), Math.log(5 / 8)];

  it('without smoothing is -log p(label)', () => {
    expect(crossEntropy(logits(), [2]).dataSync()[0]).toBeCloseTo(-logp[2], 6);
  });

  it("timm style: target (1 - s) onehot + s/K (= tf.losses.softmaxCrossEntropy's labelSmoothing)", () => {
    const s = 0.1;
    const expected = -((1 - s + s / 3) * logp[2] + (s / 3) * (logp[0] + logp[1]));
    expect(crossEntropy(logits(), [2], { smoothing: s }).dataSync()[0]).toBeCloseTo(expected, 6);
    const tfLoss = tf.losses.softmaxCrossEntropy(tf.oneHot([2], 3), logits(), undefined, s).dataSync()[0];
    expect(crossEntropy(logits(), [2], { smoothing: s }).dataSync()[0]).toBeCloseTo(tfLoss, 6);
  });

  it('MindSpore style (CrossEntropySmooth): on 1 - s, off s/(K-1)', () => {
    const s = 0.1;
    const expected = -((1 - s) * logp[2] + (s / 2) * (logp[0] + logp[1]));
    expect(crossEntropy(logits(), [2], { smoothing: s, style: 'mindspore' }).dataSync()[0]).toBeCloseTo(expected, 6);
  });

  it('averages over the batch and checks shapes', () => {
    const l = tf.tensor2d([[0, Math.log(2), Math.log(5)], [0, 0, 0]]);
    expect(crossEntropy(l, new Int32Array([2, 0])).dataSync()[0]).toBeCloseTo((-logp[2] + Math.log(3)) / 2, 6);
    expect(() => crossEntropy(l, [1])).toThrow(/2 rows of logits but 1 labels/);
    expect(() => crossEntropy(l, [1, 1], { smoothing: 1 })).toThrow(/smoothing/);
  });

  it("soft targets [N, K] (mixup/cutmix): smoothing as timm's mixup_target applies it", () => {
    const s = 0.1;
    const lam = 0.7;
    const soft = tf.tensor2d([[1 - lam, 0, lam]]);
    const q = [(1 - lam) * (1 - s) + s / 3, s / 3, lam * (1 - s) + s / 3];
    const expected = -(q[0] * logp[0] + q[1] * logp[1] + q[2] * logp[2]);
    expect(crossEntropy(logits(), soft, { smoothing: s }).dataSync()[0]).toBeCloseTo(expected, 6);
    // a one-hot soft target equals the integer label
    expect(crossEntropy(logits(), tf.tensor2d([[0, 0, 1]]), { smoothing: s }).dataSync()[0]).toBeCloseTo(
      crossEntropy(logits(), [2], { smoothing: s }).dataSync()[0],
      6,
    );
    expect(() => crossEntropy(logits(), tf.tensor2d([[0, 1]]))).toThrow(/soft targets must be \[N, 3\]/);
  });
});

describe('gradient clipping', () => {
  it('clipGradNorm scales all gradients by maxNorm / (global norm + 1e-6) when above maxNorm (torch clip_grad_norm_)', () => {
    // global norm of [3, 4] and [12] = 13
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
    const { grads: out, norm } = clipGradNorm(grads, 6.5);
    expect(norm.dataSync()[0]).toBeCloseTo(13, 5);
    const c = 6.5 / (13 + 1e-6);
    expect(Array.from(out.a.dataSync())).toEqual([expect.closeTo(3 * c, 5), expect.closeTo(4 * c, 5)]);
    expect(out.b.dataSync()[0]).toBeCloseTo(12 * c, 5);
    // below the threshold nothing changes
    expect(Array.from(clipGradNorm(grads, 100).grads.a.dataSync())).toEqual([3, 4]);
  });

  it('clipGradValue clamps every element', () => {
    expect(Array.from(clipGradValue({ a: tf.tensor1d([-3, 0.5, 2]) }, 1).a.dataSync())).toEqual([-1, 0.5, 1]);
  });
});

describe('crossEntropy on the wasm backend', () => {
  it('gives the same smoothed loss as on cpu (oneHot must be float32 there)', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    const logits = [[0, Math.log(2), Math.log(5)], [1, 2, 3]];
    const run = () => [crossEntropy(tf.tensor2d(logits), [2, 0], { smoothing: 0.1 }).dataSync()[0], crossEntropy(tf.tensor2d(logits), [2, 0], { smoothing: 0.1, style: 'mindspore' }).dataSync()[0]];
    const onCpu = run();
    await tf.setBackend('wasm');
    try {
      run().forEach((v, i) => expect(v).toBeCloseTo(onCpu[i], 5));
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
