import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countTopKCorrect, topKAccuracy } from '../src/index.js';

describe('top-k accuracy', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // 4 samples x 4 classes; ranks of the true label: 1st, 2nd, 3rd, 4th
  const scores = [
    [0.9, 0.05, 0.03, 0.02], // label 0 -> rank 1
    [0.5, 0.3, 0.1, 0.1], // label 1 -> rank 2
    [0.1, 0.6, 0.2, 0.1], // label 3 -> tie with class 0 at 0.1, below 1 and 2 -> rank 3
    [0.1, 0.2, 0.3, 0.4], // label 0 -> rank 4
  ];
  const labels = new Int32Array([0, 1, 3, 0]);

  it('counts hand-computed hits for k = 1..4', () => {
    const flat = scores.flat();
    expect([1, 2, 3, 4].map((k) => countTopKCorrect(flat, 4, labels, k))).toEqual([1, 2, 3, 4]);
  });

  it('the tensor version agrees and leaks nothing', () => {
    const logits = tf.tensor2d(scores);
    const before = tf.memory().numTensors;
    for (const [k, expected] of [[1, 0.25], [2, 0.5], [3, 0.75], [4, 1]] as const) {
      const acc = topKAccuracy(logits, labels, k);
      expect(acc.dataSync()[0]).toBeCloseTo(expected, 6);
      acc.dispose();
      const y = tf.tensor1d(labels, 'int32');
      const acc2 = topKAccuracy(logits, y, k);
      expect(acc2.dataSync()[0]).toBeCloseTo(expected, 6);
      tf.dispose([y, acc2]);
    }
    expect(tf.memory().numTensors).toBe(before);
    logits.dispose();
  });

  it('rejects bad k and mismatched shapes', () => {
    const logits = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => topKAccuracy(logits, new Int32Array([0, 1]), 4)).toThrow(/exceeds/);
    expect(() => topKAccuracy(logits, new Int32Array([0]), 1)).toThrow(/2 rows/);
    expect(() => countTopKCorrect([1, 2], 3, [0], 0)).toThrow(/positive/);
    expect(() => countTopKCorrect([1, 2], 3, [0], 1)).toThrow(/do not fit/);
    logits.dispose();
  });
});
