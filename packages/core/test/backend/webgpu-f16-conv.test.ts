/**
 * f16 convolutions on webgpu (`--amp`; lavapipe in CI) against tfjs's float32 kernels on the same backend,
 * on HRNet's convolution shapes (3x3 stride 1/2 padding 1, 1x1; bias + ReLU fused) kept small: outputs,
 * and input and filter gradients.
 * Tolerance from f16 precision: each product rounds its two operands and itself to f16 (unit roundoff
 * u = 2^-11), so |f16 − f32| ≤ 3.01·u·Σ|a||b| per output, plus 2^-25 per term for values below f16's
 * normal range and f32's own summation error; Σ|a||b| is the same convolution (or gradient) of |a| and
 * |b| on cpu.
 * Skipped, with the reason printed, where no adapter exists or it lacks shader-f16.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { describeSkippedWebgpu, loadWebgpu } from '../../../../test-utils/webgpu.js';
import { disableWebgpuF16Convolutions, enableWebgpuF16Convolutions, initBackend, listWebgpuAdapters, webgpuF16ConvolutionsEnabled, webgpuHasShaderF16 } from '../../src/backend/index.js';
import { chooseTile } from '../../src/backend/webgpu/conv2d-f16-program.js';
import { seeded } from './grad-check.js';

const U = 2 ** -11;
const TITLE = 'f16 convolutions on webgpu match the float32 kernels within f16 precision';

const webgpu = await loadWebgpu(listWebgpuAdapters);
if (webgpu.available) await initBackend('webgpu', { log: () => {} });
const hasF16 = webgpu.available && webgpuHasShaderF16();

type Shape4 = [number, number, number, number];
interface Case {
  name: string;
  x: Shape4;
  w: Shape4;
  strides: number;
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
  bias?: boolean;
  relu?: boolean;
}

const pad1: Case['pad'] = [[0, 0], [1, 1], [1, 1], [0, 0]];
const CASES: Case[] = [
  { name: '3x3 s1 same', x: [2, 9, 7, 8], w: [3, 3, 8, 16], strides: 1, pad: 'same' },
  { name: '3x3 s2 pad 1 (stem / downsampling)', x: [2, 10, 9, 6], w: [3, 3, 6, 12], strides: 2, pad: pad1 },
  { name: '1x1 s1 (fuse / transition)', x: [2, 8, 8, 36], w: [1, 1, 36, 18], strides: 1, pad: 'valid' },
  // Several 64x64 output tiles and 16-deep K slices, partial at every edge.
  { name: '3x3 s1 pad 1, 144 px x 72 ch, K 360, bias + relu', x: [1, 12, 12, 40], w: [3, 3, 40, 72], strides: 1, pad: pad1, bias: true, relu: true },
  { name: '3x3 s2 same + bias', x: [2, 8, 8, 5], w: [3, 3, 5, 7], strides: 2, pad: 'same', bias: true },
  { name: '3x3 s1 same, 100 px x 24 ch (128x32 tiles)', x: [1, 10, 10, 12], w: [3, 3, 12, 24], strides: 1, pad: 'same', relu: true },
];

describe('f16 conv tile shapes', () => {
  it('the tile that pads [pixels, channels] least, the squarer on ties', () => {
    expect(chooseTile(63, 16)).toEqual([64, 64]);
    expect(chooseTile(100, 24)).toEqual([128, 32]);
    expect(chooseTile(144, 72)).toEqual([256, 16]);
    expect(chooseTile(56 * 56, 18)).toEqual([128, 32]);
  });
});

function conv(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D | undefined, c: Case): tf.Tensor4D {
  return c.bias || c.relu ? tf.fused.conv2d({ x, filter: w, strides: c.strides, pad: c.pad, bias: b, activation: c.relu ? 'relu' : 'linear' }) : tf.conv2d(x, w, c.strides, c.pad);
}

const tensor = (shape: number[], seed: number) => tf.tensor(Float32Array.from(seeded(shape.reduce((a, b) => a * b, 1), seed)), shape);

/** The bound above for sums of `k` products whose absolute values add up to `absSum`. */
const f16Bound = (absSum: ArrayLike<number>, k: number) => Float32Array.from(absSum, (s) => (3.01 * U + k * 2 ** -23) * s + k * 2 ** -25);

/** Outputs beyond their bound, and max |f16 − f32| / max |f32|. */
function compare(f16: Float32Array, f32: Float32Array, bound: Float32Array): { over: number; rel: number } {
  let maxOut = 0;
  let maxDiff = 0;
  let over = 0;
  for (let i = 0; i < f32.length; i++) {
    const d = Math.abs(f16[i] - f32[i]);
    maxOut = Math.max(maxOut, Math.abs(f32[i]));
    maxDiff = Math.max(maxDiff, d);
    if (!(d <= bound[i])) over++;
  }
  return { over, rel: maxDiff / maxOut };
}

/** Per output: [f16 result, f32 result, error bound]. */
async function run(c: Case): Promise<{ f16: Float32Array; f32: Float32Array; bound: Float32Array }> {
  const x = tensor(c.x, 3) as tf.Tensor4D;
  const w = tensor(c.w, 5) as tf.Tensor4D;
  const b = c.bias ? (tensor([c.w[3]], 9) as tf.Tensor1D) : undefined;
  expect(enableWebgpuF16Convolutions()).toBe(true);
  const y16 = conv(x, w, b, c);
  const f16 = (await y16.data()) as Float32Array;
  disableWebgpuF16Convolutions();
  const y32 = conv(x, w, b, c);
  const f32 = (await y32.data()) as Float32Array;
  const [xa, wa] = [await x.data(), await w.data()];
  tf.dispose([x, w, b, y16, y32]);
  await tf.setBackend('cpu');
  const k = c.w[0] * c.w[1] * c.w[2];
  const absConv = tf.tidy(() => tf.conv2d(tf.abs(tf.tensor4d(xa, c.x)), tf.abs(tf.tensor4d(wa, c.w)), c.strides, c.pad));
  const bound = f16Bound(absConv.dataSync(), k);
  absConv.dispose();
  await tf.setBackend('webgpu');
  return { f16, f32, bound };
}

if (!hasF16) describeSkippedWebgpu(TITLE, webgpu.available ? { ...webgpu, reason: 'the WebGPU adapter lacks shader-f16', skipNote: ' [SKIPPED: the WebGPU adapter lacks shader-f16]' } : webgpu);
else
  describe(TITLE, () => {
    const worst = { rel: 0, where: '' };
    afterAll(() => console.log(`f16 vs f32 conv on webgpu: max |diff| / max|output| ${worst.rel.toExponential(2)} (${worst.where})`));

    it.each(CASES)('$name', async (c) => {
      await tf.setBackend('webgpu');
      const before = tf.memory().numTensors;
      const { f16, f32, bound } = await run(c);
      expect(tf.memory().numTensors).toBe(before);
      const { over, rel } = compare(f16, f32, bound);
      if (rel > worst.rel) Object.assign(worst, { rel, where: c.name });
      expect(over, `${over} of ${f32.length} outputs beyond the f16 error bound`).toBe(0);
      expect(rel).toBeLessThan(2e-3);
      // f16 products do not round like f32 ones: a difference shows the f16 kernel ran, not the fallback.
      expect(rel).toBeGreaterThan(1e-6);
    });

    it.each(CASES)('gradients (Conv2DBackpropInput / Filter; no bias or ReLU): $name', async (c) => {
      await tf.setBackend('webgpu');
      const before = tf.memory().numTensors;
      const x = tensor(c.x, 3) as tf.Tensor4D;
      const w = tensor(c.w, 5) as tf.Tensor4D;
      const yShape = tf.tidy(() => tf.conv2d(x, w, c.strides, c.pad).shape);
      const t = tensor(yShape, 11);
      const grads = async () => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), t)))([x, w]);
        const values = (await Promise.all(g.map((v) => v.data()))) as Float32Array[];
        tf.dispose(g);
        return values;
      };
      expect(enableWebgpuF16Convolutions()).toBe(true);
      const g16 = await grads();
      disableWebgpuF16Convolutions();
      const g32 = await grads();
      const [xv, wv, tv] = [await x.data(), await w.data(), await t.data()];
      tf.dispose([x, w, t]);
      expect(tf.memory().numTensors).toBe(before);
      await tf.setBackend('cpu');
      // The same gradients of |x|, |w| and |t|: Σ|t||w| per input element, Σ|x||t| per filter element.
      const abs = tf.tidy(() => {
        const at = tf.abs(tf.tensor(tv, yShape));
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), at)))([tf.abs(tf.tensor4d(xv, c.x)), tf.abs(tf.tensor4d(wv, c.w))]);
      });
      const [yh, yw] = [yShape[1], yShape[2]];
      const bounds = [f16Bound(abs[0].dataSync(), c.w[0] * c.w[1] * c.w[3]), f16Bound(abs[1].dataSync(), c.x[0] * yh * yw)];
      tf.dispose(abs);
      await tf.setBackend('webgpu');
      for (const [i, what] of ['input', 'filter'].entries()) {
        const { over, rel } = compare(g16[i], g32[i], bounds[i]);
        if (rel > worst.rel) Object.assign(worst, { rel, where: `${c.name} ${what} gradient` });
        expect(over, `${what} gradient: ${over} of ${g32[i].length} beyond the f16 error bound`).toBe(0);
        expect(rel).toBeLessThan(2e-3);
        expect(rel).toBeGreaterThan(1e-6);
      }
    });

    it('an input beyond f16 range (65504) gives ±inf outputs, as f16 hardware does: the loss scaler sees the overflow', async () => {
      await tf.setBackend('webgpu');
      expect(enableWebgpuF16Convolutions()).toBe(true);
      const x = tf.tensor4d([1e5, 1, -1e5, 1], [1, 2, 2, 1]);
      const w = tf.tensor4d([1, 0.5], [1, 1, 1, 2]);
      const y = tf.conv2d(x, w, 1, 'valid');
      const got = Array.from(await y.data());
      disableWebgpuF16Convolutions();
      tf.dispose([x, w, y]);
      expect(got).toEqual([Infinity, Infinity, 1, 0.5, -Infinity, -Infinity, 1, 0.5]);
    });

    it('enabling registers ours, disabling restores the very kernels tfjs shipped; conv results stay tidy', async () => {
      await tf.setBackend('webgpu');
      const names = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
      const shipped = names.map((n) => tf.getKernel(n, 'webgpu'));
      expect(webgpuF16ConvolutionsEnabled()).toBe(false);
      expect(enableWebgpuF16Convolutions()).toBe(true);
      expect(enableWebgpuF16Convolutions()).toBe(true);
      expect(webgpuF16ConvolutionsEnabled()).toBe(true);
      names.forEach((n, i) => expect(tf.getKernel(n, 'webgpu')).not.toBe(shipped[i]));
      const before = tf.memory().numTensors;
      const x = tensor([1, 6, 6, 4], 1) as tf.Tensor4D;
      const w = tensor([3, 3, 4, 4], 2) as tf.Tensor4D;
      for (let i = 0; i < 3; i++) tf.tidy(() => void tf.relu(tf.conv2d(x, w, 1, 'same')));
      tf.dispose([x, w]);
      expect(tf.memory().numTensors).toBe(before);
      disableWebgpuF16Convolutions();
      disableWebgpuF16Convolutions();
      expect(webgpuF16ConvolutionsEnabled()).toBe(false);
      expect(names.map((n) => tf.getKernel(n, 'webgpu'))).toEqual(shipped);
      expect(tf.getKernel('Conv2D', 'webgpu')).toBe(shipped[0]);
    });
  });
