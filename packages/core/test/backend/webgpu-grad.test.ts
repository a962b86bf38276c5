/**
 * Gradient checks on webgpu (tfjs-backend-webgpu on Dawn; lavapipe in CI) against the cpu backend (with
 * our resize-gradient fixes): every op HRNet, HigherHRNet (transposed conv, resizes) and their losses
 * (AE loss gather/scatter, log-softmax) differentiate, on small shapes (lavapipe is a CPU rasteriser).
 * Skipped, with the reason printed, only where no WebGPU adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSkippedWebgpu, loadWebgpu } from '../../../../test-utils/webgpu.js';
import { initBackend, listWebgpuAdapters } from '../../src/backend/index.js';
import { gradsOn, relErr, seeded, WorstError, type Operand } from './grad-check.js';

/** f32 on a GPU sums in another order than cpu: gradients agree to ~1e-6 of their max, asserted at 1e-4. */
const GPU_TOL = 1e-4;

const webgpu = await loadWebgpu(listWebgpuAdapters);
const worst = new WorstError();

async function webgpuVsCpu(f: (...xs: tf.Tensor[]) => tf.Tensor, operands: Operand[], where: string): Promise<number> {
  const g = await gradsOn('webgpu', f, operands);
  const c = await gradsOn('cpu', f, operands);
  // Index 0 is the loss (a sum with cancellation): only the gradients are compared.
  const err = Math.max(...g.slice(1).map((x, i) => relErr(x, c[i + 1])));
  return worst.note(err, where);
}

const pad = (x: tf.Tensor, p: number) => tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);

if (!webgpu.available) describeSkippedWebgpu('gradients on webgpu match cpu', webgpu);
else
  describe('gradients on webgpu match cpu', () => {
    beforeAll(async () => {
      await initBackend('cpu', { log: () => {} });
      await initBackend('webgpu', { log: () => {} });
    });
    afterAll(() => console.log(`webgpu vs cpu: max relative gradient error ${worst.value.toExponential(2)} (${worst.where})`));

    it('conv2d (PyTorch padding via explicit pad): 3x3 stride 1/2, 1x1; input and filter gradients', async () => {
      for (const [n, h, w, ci, co, k, s] of [
        [2, 7, 6, 3, 5, 3, 1],
        [1, 8, 9, 4, 6, 3, 2],
        [2, 5, 4, 6, 3, 1, 1],
      ]) {
        const err = await webgpuVsCpu((x, f) => tf.conv2d(pad(x, (k - 1) / 2) as tf.Tensor4D, f as tf.Tensor4D, s, 'valid'), [{ shape: [n, h, w, ci] }, { shape: [k, k, ci, co] }], `conv ${k}x${k}/${s} ${h}x${w}`);
        expect(err).toBeLessThan(GPU_TOL);
      }
    });

    it('fused conv + bias + relu (tf.fused.conv2d, what tfjs-layers and inference use)', async () => {
      const err = await webgpuVsCpu(
        (x, f, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }),
        [{ shape: [2, 6, 5, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }],
        'fused conv',
      );
      expect(err).toBeLessThan(GPU_TOL);
    });

    it('depthwise conv2d: input and filter gradients', async () => {
      const err = await webgpuVsCpu((x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'), [{ shape: [2, 6, 7, 4] }, { shape: [3, 3, 4, 1] }], 'depthwise');
      expect(err).toBeLessThan(GPU_TOL);
    });

    it('transposed conv (HigherHRNet deconv 4x4 stride 2): input and filter gradients', async () => {
      const err = await webgpuVsCpu(
        (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [2, 10, 8, 3], 2, 'same'),
        [{ shape: [2, 5, 4, 6] }, { shape: [4, 4, 3, 6] }],
        'conv2dTranspose',
      );
      expect(err).toBeLessThan(GPU_TOL);
    });

    it('nearest x2/x4 and bilinear resizes on non-square maps (HRNet fuse layers, HigherHRNet heads)', async () => {
      for (const [h, w, f] of [[3, 5, 2], [4, 2, 4]]) {
        const ops = [{ shape: [2, h, w, 3] }];
        expect(await webgpuVsCpu((x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [h * f, w * f]), ops, `nearest x${f}`)).toBeLessThan(GPU_TOL);
        for (const alignCorners of [false, true]) {
          expect(await webgpuVsCpu((x) => tf.image.resizeBilinear(x as tf.Tensor4D, [h * f, w * f + 1], alignCorners), ops, `bilinear ${alignCorners}`)).toBeLessThan(GPU_TOL);
        }
      }
    });

    it('batch norm through moments, relu, add, mean pooling, matmul + bias, log-softmax (classifier head and loss)', async () => {
      const bn = await webgpuVsCpu(
        (x, g, b) => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          return tf.relu(tf.add(tf.batchNorm(x, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5), x));
        },
        [{ shape: [2, 5, 6, 4] }, { shape: [4] }, { shape: [4] }],
        'batchnorm+relu+add',
      );
      expect(bn).toBeLessThan(GPU_TOL);
      const head = await webgpuVsCpu((x, w, b) => tf.logSoftmax(tf.add(tf.matMul(tf.mean(x, [1, 2]), w), b)), [{ shape: [3, 4, 5, 6] }, { shape: [6, 7] }, { shape: [7] }], 'head');
      expect(head).toBeLessThan(GPU_TOL);
    });

    it('gather / scatterND / oneHot / reverse / slice / concat / tile (AE loss, HigherHRNet concat, BN tiling)', async () => {
      // Repeated indices: the gradient (UnsortedSegmentSum) must add them up.
      expect(await webgpuVsCpu((x) => tf.gather(x, tf.tensor1d([3, 0, 3, 7, 1], 'int32')), [{ shape: [8, 3] }], 'gather')).toBeLessThan(GPU_TOL);
      // The AE loss's gather, whose gradient is a ScatterNd summing repeated indices (heads' associative-embedding-loss).
      const indices = [5, 0, 5, 11, 2, 5];
      const gatherViaScatter = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
        const x = args[0] as tf.Tensor;
        return {
          value: tf.gather(tf.reshape(x, [-1]), tf.tensor1d(indices, 'int32')),
          gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.reshape(tf.scatterND(tf.tensor2d(indices, [indices.length, 1], 'int32'), dy as tf.Tensor, [x.size]), x.shape),
        };
      });
      expect(await webgpuVsCpu((x) => gatherViaScatter(x), [{ shape: [4, 3] }], 'scatterND')).toBeLessThan(GPU_TOL);
      expect(await webgpuVsCpu((x) => tf.mul(x, tf.oneHot(tf.tensor1d([2, 0, 1], 'int32'), 4)), [{ shape: [3, 4] }], 'oneHot')).toBeLessThan(GPU_TOL);
      expect(await webgpuVsCpu((x) => tf.reverse(x, [1, 2]), [{ shape: [2, 3, 4, 2] }], 'reverse')).toBeLessThan(GPU_TOL);
      expect(
        await webgpuVsCpu((a, b) => tf.concat([tf.slice(a, [0, 1, 0, 0], [2, 3, 4, 2]), tf.tile(b, [1, 1, 1, 2])], 3), [{ shape: [2, 4, 4, 2] }, { shape: [2, 3, 4, 1] }], 'concat/slice/tile'),
      ).toBeLessThan(GPU_TOL);
    });

    it('AE-loss style pull/push terms (exp, square, abs, maximum, div, expandDims) differentiate equally', async () => {
      const err = await webgpuVsCpu(
        (tags, mask) => {
          const mean = tf.div(tf.sum(tf.mul(tags, mask), 1), tf.maximum(tf.sum(mask, 1), 1));
          const pull = tf.sum(tf.mul(tf.square(tf.sub(tags, tf.expandDims(mean, 1))), mask));
          const diff = tf.sub(tf.expandDims(mean, 0), tf.expandDims(mean, 1));
          const push = tf.sum(tf.exp(tf.neg(tf.square(diff))));
          return tf.add(pull, tf.mul(push, tf.abs(tf.sum(mean))));
        },
        [{ shape: [4, 6] }, { shape: [4, 6], values: Float32Array.from(seeded(24, 5), (v) => (v > 0 ? 1 : 0)) }],
        'ae terms',
      );
      expect(err).toBeLessThan(GPU_TOL);
    });
  });
