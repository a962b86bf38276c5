import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { nativeKernelStats } from '../src/index.js';
import { describeNative, evalOn, fallbacksSince, relErr, setupNative, TOL } from './helpers.js';

/** Runs f on native-wasm and cpu; asserts that `kernel` went to its fallback and the numbers still match. */
async function expectFallback(kernel: string, f: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], grads = false): Promise<void> {
  const before = nativeKernelStats();
  const w = await evalOn('wasm', f, shapes, grads);
  expect(fallbacksSince(before, kernel), `${kernel} should fall back`).toBeGreaterThan(0);
  const c = await evalOn('cpu', f, shapes, grads);
  w.forEach((g, i) => expect(relErr(g, c[i])).toBeLessThan(TOL));
}

describeNative('attributes the addon does not handle go to the stock kernel, with correct numbers', () => {
  beforeAll(setupNative);

  it('FusedConv2D with prelu, sigmoid or elu activation', async () => {
    await expectFallback(
      'FusedConv2D',
      (x, f, b, alpha) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'prelu', preluActivationWeights: alpha }),
      [[1, 6, 7, 3], [3, 3, 3, 4], [4], [4]],
    );
    for (const activation of ['sigmoid', 'elu'] as const) {
      await expectFallback('FusedConv2D', (x, f, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 2, pad: 'valid', bias: b, activation }), [[2, 7, 7, 3], [3, 3, 3, 4], [4]]);
    }
  });

  it('_FusedMatMul with prelu', async () => {
    await expectFallback('_FusedMatMul', (a, b, bias, alpha) => tf.fused.matMul({ a, b, bias, activation: 'prelu', preluActivationWeights: alpha }), [[5, 7], [7, 4], [4], [4]]);
  });

  it('FusedConv2D with a bias that is not one value per output channel: the stock kernel decides (it rejects [1])', async () => {
    await tf.setBackend('wasm');
    const before = nativeKernelStats();
    const run = () => tf.tidy(() => tf.fused.conv2d({ x: tf.ones([1, 5, 5, 3]) as tf.Tensor4D, filter: tf.ones([3, 3, 3, 4]) as tf.Tensor4D, bias: tf.tensor1d([0.5]), pad: 'same', strides: 1 }));
    expect(run).toThrow(/bias shape \(1\) does not match/);
    expect(fallbacksSince(before, 'FusedConv2D')).toBe(1);
  });

  it('depthwise conv in NCHW (given to the kernel directly)', async () => {
    await tf.setBackend('wasm');
    const before = nativeKernelStats();
    const x = tf.ones([1, 2, 4, 4]);
    const f = tf.ones([3, 3, 2, 1]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW', dilations: 1 };
    try {
      tf.dispose(tf.engine().runKernel('DepthwiseConv2dNative', { x, filter: f }, attrs) as tf.Tensor);
    } catch {
      // the stock kernel's own answer to NCHW
    }
    expect(fallbacksSince(before, 'DepthwiseConv2dNative')).toBe(1);
    tf.dispose([x, f]);
  });

  it('non-float32 inputs (int32 tensors given to the kernel directly)', async () => {
    await tf.setBackend('wasm');
    const before = nativeKernelStats();
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1], 'int32');
    const f = tf.tensor4d([1, 0, 0, 1], [2, 2, 1, 1], 'int32');
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 };
    const y = tf.engine().runKernel('Conv2D', { x, filter: f }, attrs) as tf.Tensor;
    expect(fallbacksSince(before, 'Conv2D')).toBe(1);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    tf.dispose([x, f, y]);
  });

  it('a call handed on to a kernel the stock wasm backend lacks fails saying so (DepthwiseConv2dNativeBackpropFilter, empty filter)', async () => {
    // @hrnet/core's training kernels provide it (initBackend('native') registers them first): core's
    // native-fallback test makes the same call there.
    await tf.setBackend('wasm');
    const before = nativeKernelStats();
    const x = tf.ones([1, 5, 5, 2]);
    const dy = tf.ones([1, 5, 5, 0]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, filterShape: [3, 3, 2, 0] };
    expect(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs)).toThrow(
      /DepthwiseConv2dNativeBackpropFilter needs the stock kernel for these arguments, but the wasm backend has none \(register @hrnet\/core's training kernels/,
    );
    expect(fallbacksSince(before, 'DepthwiseConv2dNativeBackpropFilter')).toBe(1);
    tf.dispose([x, dy]);
  });
});
