import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { AvgPool2d, SplitChannels, UpsampleBilinear, initBackend } from '../src/index.js';
import { relErr, seeded } from './backend/grad-check.js';

/**
 * The leaf layers HF-HRNet added, each against an independent formulation of the PyTorch op (forward and
 * gradient) on every backend: AvgPool2d as a depthwise convolution with a constant 1/k² kernel over the
 * zero-padded input (count_include_pad=True), UpsampleBilinear as interpolation matrices (y = A_h · x · A_wᵀ).
 */
const BACKENDS = ['cpu', 'wasm'] as const;

/** Forward and input gradient of sum(f(x) · p), p fixed pseudo-random. */
function valueAndGrad(f: (x: tf.Tensor4D) => tf.Tensor, x: tf.Tensor4D): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const y = f(x);
    const p = tf.tensor(seeded(y.size, 3), y.shape);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v as tf.Tensor4D), p)))(x);
    return [y.dataSync() as Float32Array, g.dataSync() as Float32Array];
  });
}

/** PyTorch's bilinear source index weights as an [out, in] matrix. */
function interpolationMatrix(n: number, factor: number, alignCorners: boolean): tf.Tensor2D {
  const out = n * factor;
  const m = new Float32Array(out * n);
  for (let o = 0; o < out; o++) {
    const src = alignCorners ? (out > 1 ? (o * (n - 1)) / (out - 1) : 0) : Math.max(0, (o + 0.5) / factor - 0.5);
    const i0 = Math.min(Math.floor(src), n - 1);
    const i1 = Math.min(i0 + 1, n - 1);
    const t = src - i0;
    m[o * n + i0] += 1 - t;
    m[o * n + i1] += t;
  }
  return tf.tensor2d(m, [out, n]);
}

describe.each(BACKENDS)('HF-HRNet leaf layers on %s', (backend) => {
  it('AvgPool2d(3, 2, 1) divides by 9 including the padding: forward and gradient equal a 1/9 depthwise conv', async () => {
    await initBackend(backend, { log: () => {} });
    const x = tf.tensor4d(seeded(2 * 8 * 6 * 5, 1), [2, 8, 6, 5]);
    const layer = new AvgPool2d({ kernelSize: 3, strides: 2, padding: 1 });
    const ones = tf.tidy(() => layer.apply(tf.ones([1, 4, 4, 1])) as tf.Tensor);
    expect(Array.from(ones.dataSync()).map((v) => Math.round(v * 9))).toEqual([4, 6, 6, 9]);
    const kernel = tf.fill([3, 3, 5, 1], 1 / 9) as tf.Tensor4D;
    const [y, g] = valueAndGrad((v) => layer.apply(v) as tf.Tensor, x);
    const [yr, gr] = valueAndGrad((v) => tf.depthwiseConv2d(v, kernel, 2, 1 as never), x);
    expect(relErr(y, yr)).toBeLessThan(1e-6);
    expect(relErr(g, gr)).toBeLessThan(1e-6);
    tf.dispose([x, ones, kernel]);
  });

  it('AvgPool2d(k) with stride k is adaptive_avg_pool2d to an exact 1/k size', async () => {
    await initBackend(backend, { log: () => {} });
    const x = tf.tensor4d(seeded(1 * 8 * 4 * 3, 2), [1, 8, 4, 3]);
    const [y, g] = valueAndGrad((v) => new AvgPool2d({ kernelSize: 4 }).apply(v) as tf.Tensor, x);
    const [yr, gr] = valueAndGrad((v) => tf.mean(tf.reshape(v, [1, 2, 4, 1, 4, 3]), [2, 4]), x);
    expect(relErr(y, yr)).toBeLessThan(1e-6);
    expect(relErr(g, gr)).toBeLessThan(1e-6);
    x.dispose();
  });

  it.each([true, false])('UpsampleBilinear ×2 (alignCorners %s): forward and gradient equal interpolation matrices', async (alignCorners) => {
    await initBackend(backend, { log: () => {} });
    const [n, h, w, c] = [2, 3, 5, 4];
    const x = tf.tensor4d(seeded(n * h * w * c, 4), [n, h, w, c]);
    const [ah, aw] = [interpolationMatrix(h, 2, alignCorners), interpolationMatrix(w, 2, alignCorners)];
    const ahBatch = tf.broadcastTo(ah, [n * c, 2 * h, h]) as tf.Tensor3D;
    const byMatrices = (v: tf.Tensor4D) => {
      const planes = tf.reshape(tf.transpose(v, [0, 3, 1, 2]), [n * c, h, w]) as tf.Tensor3D;
      const y = tf.matMul(ahBatch, tf.matMul(planes, tf.broadcastTo(aw, [n * c, 2 * w, w]) as tf.Tensor3D, false, true));
      return tf.transpose(tf.reshape(y, [n, c, 2 * h, 2 * w]), [0, 2, 3, 1]);
    };
    const [y, g] = valueAndGrad((v) => new UpsampleBilinear({ factor: 2, alignCorners }).apply(v) as tf.Tensor, x);
    const [yr, gr] = valueAndGrad(byMatrices, x);
    expect(relErr(y, yr)).toBeLessThan(1e-5);
    expect(relErr(g, gr)).toBeLessThan(1e-5);
    tf.dispose([x, ah, aw, ahBatch]);
  });
});

describe('layer options and configs', () => {
  it('SplitChannels splits along channels and checks the sizes', () => {
    const x = tf.input({ shape: [4, 4, 6] });
    const parts = new SplitChannels({ sizes: [1, 2, 3] }).apply(x) as tf.SymbolicTensor[];
    expect(parts.map((p) => p.shape)).toEqual([[null, 4, 4, 1], [null, 4, 4, 2], [null, 4, 4, 3]]);
    expect(() => new SplitChannels({ name: 'split', sizes: [1, 2] }).apply(x)).toThrow("SplitChannels 'split': sizes add up to 3, the input has 6 channels");
    const v = tf.tensor4d(seeded(96, 6), [1, 4, 4, 6]);
    const outs = new SplitChannels({ sizes: [4, 2] }).apply(v) as tf.Tensor[];
    expect(Array.from(outs[1].dataSync())).toEqual(Array.from(tf.slice(v, [0, 0, 0, 4], [1, 4, 4, 2]).dataSync()));
    tf.dispose([v, ...outs]);
  });

  it('rejects invalid options, naming the layer', () => {
    expect(() => new AvgPool2d({ name: 'p', kernelSize: 3, padding: 2 })).toThrow("AvgPool2d 'p': padding must be an integer in [0, kernelSize / 2], got 2");
    expect(() => new UpsampleBilinear({ name: 'u', factor: 1.5, alignCorners: true })).toThrow("UpsampleBilinear 'u': factor must be a positive integer, got 1.5");
    expect(() => new SplitChannels({ name: 's', sizes: [] })).toThrow("SplitChannels 's': sizes must be positive integers, got []");
  });
});
