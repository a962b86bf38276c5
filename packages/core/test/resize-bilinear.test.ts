import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackbone, initBackend, resizeBilinearTo } from '../src/index.js';
import { TINY } from './helpers/tiny-config.js';

/** PyTorch's bilinear `F.interpolate` (aten upsample_bilinear2d), written from its index formulas. */
function torchBilinear(x: Float32Array, [n, h, w, c]: number[], oh: number, ow: number, alignCorners: boolean): Float32Array {
  const src = (o: number, inSize: number, outSize: number) => {
    if (alignCorners) return outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
    return Math.max(0, ((o + 0.5) * inSize) / outSize - 0.5);
  };
  const out = new Float32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const sy = src(r, h, oh);
      const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, h - 1), ly = sy - y0;
      for (let q = 0; q < ow; q++) {
        const sx = src(q, w, ow);
        const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, w - 1), lx = sx - x0;
        for (let d = 0; d < c; d++) {
          const at = (yy: number, xx: number) => x[((b * h + yy) * w + xx) * c + d];
          out[((b * oh + r) * ow + q) * c + d] =
            (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
        }
      }
    }
  }
  return out;
}

describe.each(['cpu', 'wasm'] as const)('ResizeBilinear layer on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend, { log: () => {} });
  });

  it.each([true, false])('equals PyTorch bilinear interpolation to the reference size (align_corners=%s)', (alignCorners) => {
    for (const [h, w, oh, ow] of [[2, 3, 16, 24], [5, 7, 9, 4], [4, 6, 4, 6]]) {
      const xIn = tf.input({ shape: [null, null, 2] });
      const ref = tf.input({ shape: [null, null, 1] });
      const model = tf.model({ inputs: [xIn, ref], outputs: resizeBilinearTo(xIn, ref, 'up', alignCorners) });
      const data = Float32Array.from({ length: 2 * h * w * 2 }, (_, i) => Math.sin(i * 1.7) * 3);
      const y = tf.tidy(() => (model.predict([tf.tensor(data, [2, h, w, 2]), tf.zeros([2, oh, ow, 1])]) as tf.Tensor).dataSync());
      const want = torchBilinear(data, [2, h, w, 2], oh, ow, alignCorners);
      expect(y.length).toBe(want.length);
      const err = Math.max(...want.map((v, i) => Math.abs(v - y[i])));
      expect(err, `${h}x${w} -> ${oh}x${ow}`).toBeLessThan(1e-5);
    }
  });
});

describe('bilinear fuse upsampling (seg_hrnet)', () => {
  const model = createBackbone(TINY, { fuseUpsample: { mode: 'bilinear', alignCorners: false } });
  afterAll(() => model.dispose());

  it('accepts inputs that are not multiples of 32 and resizes every fuse term to its branch size', () => {
    const shapes = tf.tidy(() => (model.predict(tf.zeros([1, 50, 70, 3])) as tf.Tensor[]).map((t) => t.shape));
    // 50 -> 25 -> 13 (stem), then ceil halves: 13, 7, 4, 2 rows; 70 -> 35 -> 18, 9, 5, 3 columns.
    expect(shapes).toEqual([[1, 13, 18, 8], [1, 7, 9, 16], [1, 4, 5, 32], [1, 2, 3, 64]]);
    expect(model.getLayer('stage4.0.fuse_layers.0.3.2').getClassName()).toBe('HrnetResizeBilinear');
    expect(() => model.apply(tf.zeros([1, 50, 70, 4]))).toThrow(/^expected an NHWC float32 image batch \[N, H, W, 3\], got shape \[1, 50, 70, 4\]$/);
  });
});
