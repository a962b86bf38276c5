import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createRng, initBackend } from '@hrnet/core';
import { loadFixtureTensor, readManifest } from '@hrnet/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmentationLoss, segmentationLoss, type OhemOptions } from '../src/index.js';

const dir = fileURLToPath(new URL('../../../fixtures/hrnet-seg/', import.meta.url));
const tensors = readManifest(dir, 'tiny.manifest.json');

/** Reference formulas of criterion.py in float64 on NHWC scores already at label size. */
function referenceLoss(score: Float32Array, c: number, labels: Int32Array, weights: number[] | undefined, ohem?: OhemOptions): number {
  const nll: number[] = [];
  const w: number[] = [];
  const prob: number[] = [];
  labels.forEach((y, p) => {
    if (y === 255) return;
    const z = Array.from(score.subarray(p * c, p * c + c));
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    nll.push(lse - z[y]);
    w.push(weights ? weights[y] : 1);
    prob.push(Math.exp(z[y] - lse));
  });
  if (!ohem) return nll.reduce((s, v, i) => s + v * w[i], 0) / w.reduce((s, v) => s + v, 0);
  // pred.sort(); min_value = pred[min(min_kept, numel - 1)]; threshold = max(min_value, thresh); mean of kept.
  const sorted = [...prob].sort((a, b) => a - b);
  const threshold = Math.max(sorted[Math.min(ohem.minKept, sorted.length - 1)], ohem.thresh);
  const kept = nll.map((v, i) => v * w[i]).filter((_, i) => prob[i] < threshold);
  return kept.reduce((s, v) => s + v, 0) / kept.length;
}

function randomLabels(n: number, classes: number, seed: number, ignoreFraction = 0.1): Int32Array {
  const rng = createRng(seed);
  return Int32Array.from({ length: n }, () => (rng.next() < ignoreFraction ? 255 : rng.int(classes)));
}

const WEIGHTS = [0.8373, 0.918, 0.866, 1.0345, 1.0166];

describe.each(['cpu', 'wasm'] as const)('segmentation loss on %s', (backend) => {
  let before = 0;
  beforeAll(async () => {
    await initBackend(backend, { log: () => {} });
    before = tf.memory().numTensors;
  });
  afterAll(() => expect(tf.memory().numTensors).toBe(before));

  it('cross-entropy at label size with ignore 255, with and without class weights, equals the formula', () => {
    const c = 5;
    const rng = createRng(3);
    const z = Float32Array.from({ length: 2 * 3 * 4 * c }, () => rng.normal() * 3);
    const labels = randomLabels(2 * 3 * 4, c, 4, 0.25);
    for (const weights of [undefined, WEIGHTS]) {
      const got = tf.tidy(() => segmentationLoss(tf.tensor4d(z, [2, 3, 4, c]), tf.tensor3d(labels, [2, 3, 4], 'int32'), { alignCorners: false, classWeights: weights }).dataSync()[0]);
      const want = referenceLoss(z, c, labels, weights);
      expect(Math.abs(got - want), `weights ${!!weights}`).toBeLessThan(1e-5 * want);
    }
  });

  it.each([true, false])('resizes 1/4 logits to the label size as criterion.py (fixture logits, align_corners=%s)', (alignCorners) => {
    const ac = `ac-${alignCorners}`;
    const [, c, H, W] = tensors[`${ac}.logits_up`].shape;
    const labels = randomLabels(H * W, c, 7);
    const up = tf.tidy(() => loadFixtureTensor(dir, tensors[`${ac}.logits_up`]).dataSync() as Float32Array);
    for (const ohem of [undefined, { thresh: 0.7, minKept: 2000 }]) {
      const got = tf.tidy(() => {
        const logits = loadFixtureTensor(dir, tensors[`${ac}.logits`]) as tf.Tensor4D;
        return segmentationLoss(logits, tf.tensor3d(labels, [1, H, W], 'int32'), { alignCorners, classWeights: WEIGHTS, ohem }).dataSync()[0];
      });
      const want = referenceLoss(up, c, labels, WEIGHTS, ohem);
      // 1e-4: float32 sums over 6144 pixels against a float64 reference.
      expect(Math.abs(got - want), `ohem ${!!ohem}: ${got} vs ${want}`).toBeLessThan(1e-4 * want);
    }
  });

  it('OHEM keeps the pixels below max(thresh, the min_kept-th smallest probability) and averages them unweighted by count', () => {
    const c = 3;
    const rng = createRng(11);
    const z = Float32Array.from({ length: 1 * 8 * 8 * c }, () => rng.normal() * 2);
    const labels = randomLabels(64, c, 12, 0.2);
    // min_kept below, inside and beyond the number of valid pixels; thresholds that bind and that do not.
    for (const ohem of [{ thresh: 0.9, minKept: 5 }, { thresh: 0.2, minKept: 20 }, { thresh: 0.05, minKept: 1000 }, { thresh: 0.9, minKept: 131072 }]) {
      const got = tf.tidy(() => segmentationLoss(tf.tensor4d(z, [1, 8, 8, c]), tf.tensor3d(labels, [1, 8, 8], 'int32'), { alignCorners: false, classWeights: [1, 2, 0.5], ohem }).dataSync()[0]);
      const want = referenceLoss(z, c, labels, [1, 2, 0.5], ohem);
      expect(Math.abs(got - want), JSON.stringify(ohem)).toBeLessThan(1e-5 * want);
    }
  });

  it('gives 0 for a batch without scored pixels; rejects bad shapes, dtypes and weight counts naming what was expected', () => {
    tf.tidy(() => {
      const logits = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
      const ignored = tf.fill([1, 8, 8], 255, 'int32') as tf.Tensor3D;
      expect(segmentationLoss(logits, ignored, { alignCorners: false }).dataSync()[0]).toBe(0);
      expect(segmentationLoss(logits, ignored, { alignCorners: false, ohem: { thresh: 0.9, minKept: 10 } }).dataSync()[0]).toBe(0);
      expect(() => segmentationLoss(logits, tf.zeros([1, 8, 8]) as tf.Tensor3D, { alignCorners: false })).toThrow(/labels must be int32/);
      expect(() => segmentationLoss(logits, tf.zeros([2, 8, 8], 'int32') as tf.Tensor3D, { alignCorners: false })).toThrow(/labels must be \[N, H, W\] with N = 1/);
      expect(() => segmentationLoss(logits, ignored, { alignCorners: false, classWeights: [1, 2] })).toThrow(/classWeights has 2 entries, the logits 3 classes/);
    });
  });

  it('createSegmentationLoss returns the total and a named term (separate tensors)', () => {
    const loss = createSegmentationLoss({ alignCorners: true, ohem: { thresh: 0.9, minKept: 4 } });
    const out = tf.tidy(() => {
      const r = loss([tf.randomNormal([1, 2, 3, 4])], { images: tf.zeros([1, 8, 12, 3]), labels: tf.zeros([1, 8, 12], 'int32') });
      return [r.total, r.terms.ohem_ce];
    });
    expect(out[0]).not.toBe(out[1]);
    expect(out[0].dataSync()[0]).toBeCloseTo(out[1].dataSync()[0], 7);
    tf.dispose(out);
  });
});

describe('loss gradients through the bilinear resize (ResizeBilinearGrad) on wasm equal cpu, both align_corners', () => {
  let worst = { err: 0, where: '' };
  afterAll(async () => {
    console.log(`segmentation loss gradient, wasm vs cpu: max error ${worst.err.toExponential(2)} of max |grad| (${worst.where})`);
    await initBackend('cpu', { log: () => {} });
  });

  it.each([true, false])('align_corners=%s, plain and OHEM', async (alignCorners) => {
    const rng = createRng(21);
    // Non-square, factor 4 as the model (13x7 -> 52x28) and a non-integer factor (5x6 -> 17x23).
    for (const [h, w, H, W] of [[13, 7, 52, 28], [5, 6, 17, 23]]) {
      const z = Float32Array.from({ length: 2 * h * w * 4 }, () => rng.normal());
      const labels = randomLabels(2 * H * W, 4, 22);
      const grads: Float32Array[] = [];
      for (const backend of ['cpu', 'wasm'] as const) {
        await initBackend(backend, { log: () => {} });
        for (const ohem of [undefined, { thresh: 0.7, minKept: 100 }]) {
          grads.push(tf.tidy(() => {
            const y = tf.tensor3d(labels, [2, H, W], 'int32');
            const g = tf.grad((x: tf.Tensor) => segmentationLoss(x as tf.Tensor4D, y, { alignCorners, classWeights: [1, 0.5, 2, 1], ohem }));
            return g(tf.tensor4d(z, [2, h, w, 4])).dataSync() as Float32Array;
          }));
        }
      }
      const [cpuPlain, cpuOhem, wasmPlain, wasmOhem] = grads;
      for (const [a, b, what] of [[cpuPlain, wasmPlain, 'plain'], [cpuOhem, wasmOhem, 'ohem']] as const) {
        const scale = Math.max(...a.map(Math.abs));
        const err = Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / scale;
        if (err >= worst.err) worst = { err, where: `${what} ${h}x${w}->${H}x${W} align_corners=${alignCorners}` };
        expect(err, `${what} ${h}x${w}->${H}x${W}`).toBeLessThan(1e-5);
      }
      // cpu itself against a central difference of the plain loss (float64 formula) at a few entries.
      await initBackend('cpu', { log: () => {} });
      for (const idx of [0, 17, z.length - 1]) {
        const f = (d: number) => tf.tidy(() => {
          const zz = z.slice();
          zz[idx] += d;
          return segmentationLoss(tf.tensor4d(zz, [2, h, w, 4]), tf.tensor3d(labels, [2, H, W], 'int32'), { alignCorners, classWeights: [1, 0.5, 2, 1] }).dataSync()[0];
        });
        const fd = (f(1e-2) - f(-1e-2)) / 2e-2;
        expect(Math.abs(cpuPlain[idx] - fd), `d/dz[${idx}]: ${cpuPlain[idx]} vs ${fd}`).toBeLessThan(2e-3 * Math.max(...cpuPlain.map(Math.abs)));
      }
    }
  });
});
