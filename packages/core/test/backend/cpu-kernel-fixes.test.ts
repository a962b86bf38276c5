import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/index.js';

/** Adjoint check: <resize(x), p> must equal <x, grad_x <resize(x), p>>, and the grad has x's shape. */
function adjointGap(resize: (x: tf.Tensor4D) => tf.Tensor4D, shape: [number, number, number, number]): number {
  return tf.tidy(() => {
    const x = tf.randomUniform(shape, -1, 1, 'float32', 3) as tf.Tensor4D;
    const y = resize(x);
    const p = tf.randomUniform(y.shape, -1, 1, 'float32', 4);
    const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(resize(xx as tf.Tensor4D), p)))(x);
    expect(g.shape).toEqual(shape);
    const lhs = tf.sum(tf.mul(y, p)).dataSync()[0];
    const rhs = tf.sum(tf.mul(x, g)).dataSync()[0];
    return Math.abs(lhs - rhs) / Math.max(1, Math.abs(lhs));
  });
}

describe('cpu backend kernel fixes (registered by initBackend)', () => {
  beforeAll(async () => {
    await initBackend('cpu', { log: () => {} });
  });

  it.each([
    [[2, 8, 8, 3], [16, 16]], [[1, 2, 2, 4], [16, 16]], [[1, 4, 6, 2], [8, 12]], [[1, 5, 3, 2], [7, 9]],
  ] as const)('nearest resize gradient of %j → %j is the adjoint', (shape, size) => {
    for (const halfPixel of [false, true]) {
      expect(adjointGap((x) => tf.image.resizeNearestNeighbor(x, [...size], false, halfPixel), [...shape])).toBeLessThan(1e-5);
    }
  });

  it.each([
    [[1, 4, 6, 2], [8, 12]], [[2, 5, 3, 2], [9, 7]],
  ] as const)('bilinear resize gradient of %j → %j has the input shape and is the adjoint', (shape, size) => {
    for (const [ac, hp] of [[false, false], [true, false], [false, true]]) {
      expect(adjointGap((x) => tf.image.resizeBilinear(x, [...size], ac, hp), [...shape])).toBeLessThan(1e-5);
    }
  });
});
