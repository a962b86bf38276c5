/**
 * The training-mode ops of core's ReLU, Add and BatchNorm2d layers (custom gradients that keep less for
 * the backward pass) against tfjs autodiff of the plain compositions, on cpu, wasm and (where its addon
 * loads) native, where BatchNorm2d runs the HrnetBatchNormTrain kernels and ReLU HrnetNativeReluGrad, and
 * on webgpu where an adapter exists. Reads are async: webgpu tensors cannot be read synchronously in Node.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { describeSkippedNative, loadNative } from '../../../test-utils/native.js';
import { describeSkippedWebgpu, loadWebgpu } from '../../../test-utils/webgpu.js';
import { listWebgpuAdapters } from '../src/backend/index.js';
import { Add, BatchNorm2d, initBackend, ReLU } from '../src/index.js';

const native = await loadNative();
const webgpu = await loadWebgpu(listWebgpuAdapters);
const backends: Array<'cpu' | 'wasm' | 'native' | 'webgpu'> = ['cpu', 'wasm'];
if (native.available) backends.push('native');
else describeSkippedNative('training-mode layers on native', native);
if (webgpu.available) backends.push('webgpu');
else describeSkippedWebgpu('training-mode layers on webgpu', webgpu);

async function maxRel(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [d, s] = tf.tidy(() => [tf.max(tf.abs(tf.sub(a, b))), tf.max(tf.abs(b))]);
  const [dv, sv] = [(await d.data())[0], (await s.data())[0]];
  tf.dispose([d, s]);
  return dv / Math.max(1e-12, sv);
}

/** Gradients of sum(f(xs) * w) for a fixed random w, with respect to every x. */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): tf.Tensor[] {
  return tf.tidy(() => {
    const w = tf.randomNormal(f(...xs).shape, 0, 1, 'float32', 3);
    return tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), w)))(xs);
  });
}

describe.each(backends)('training-mode layers on %s', (backend) => {
  it('ReLU: value and gradient of tf.relu (ties at 0 included)', async () => {
    await initBackend(backend, { log: () => {} });
    const layer = new ReLU({ name: 'r' });
    const x = tf.tensor4d([-2, -0, 0, 0.5, 3, -1e-8, 1e-8, 7], [1, 2, 2, 2]);
    const ours = gradsOf((t) => layer.apply(t, { training: true }) as tf.Tensor, [x]);
    const ref = gradsOf((t) => tf.relu(t), [x]);
    expect(await ours[0].array()).toEqual(await ref[0].array());
    const [y, yRef] = [layer.apply(x, { training: true }) as tf.Tensor, tf.relu(x)];
    expect(await y.array()).toEqual(await yRef.array());
    tf.dispose([y, yRef]);
    if (backend === 'native') expect(native.mod!.nativeKernelStats()['HrnetNativeReluGrad']?.native ?? 0).toBeGreaterThan(0);
    tf.dispose([x, ...ours, ...ref]);
  });

  it('Add: the left-to-right sum and one gradient per input, also for a repeated input; rejects mixed shapes', async () => {
    await initBackend(backend, { log: () => {} });
    const layer = new Add({ name: 'a' });
    const [a, b, c] = [1, 2, 3].map((s) => tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', s));
    const ours = gradsOf((p, q, r) => layer.apply([p, q, r, p], { training: true }) as tf.Tensor, [a, b, c]);
    const ref = gradsOf((p, q, r) => tf.add(tf.add(tf.add(p, q), r), p), [a, b, c]);
    for (const [i, g] of ours.entries()) expect(await maxRel(g, ref[i])).toBe(0);
    const sum = layer.apply([a, b, c], { training: true }) as tf.Tensor;
    const sumRef = tf.add(tf.add(a, b), c);
    expect(await maxRel(sum, sumRef)).toBe(0);
    sumRef.dispose();
    expect(() => new Add({ name: 'bad' }).apply([tf.input({ shape: [4, 4, 8] }), tf.input({ shape: [4, 4, 16] })])).toThrow(/Add 'bad': inputs must have one shape/);
    tf.dispose([a, b, c, sum, ...ours, ...ref]);
  });

  it('BatchNorm2d: output, gradients (x, gamma, beta) and running statistics of autodiff through tf.moments + tf.batchNorm', async () => {
    await initBackend(backend, { log: () => {} });
    const bn = new BatchNorm2d({ name: 'bn' });
    bn.apply(tf.input({ shape: [5, 6, 7] }));
    const [gamma, beta] = bn.trainableWeights.map((w) => w.read() as tf.Variable);
    tf.tidy(() => {
      gamma.assign(tf.randomUniform([7], 0.5, 1.5, 'float32', 4));
      beta.assign(tf.randomNormal([7], 0, 1, 'float32', 5));
    });
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([3, 5, 6, 7], 0, 1, 'float32', 6), 2), 0.5));
    const reference = (t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(t, [0, 1, 2]);
      return tf.batchNorm(t, mean, variance, b, g, 1e-5);
    };
    // Our layer reads gamma/beta from its variables: differentiate with respect to those.
    const ours = tf.tidy(() => {
      const w = tf.randomNormal([3, 5, 6, 7], 0, 1, 'float32', 3);
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(bn.apply(tf.add(x, 0), { training: true }) as tf.Tensor, w)) as tf.Scalar, [gamma, beta]);
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(bn.apply(t, { training: true }) as tf.Tensor, w)))(x);
      return [dx, grads[gamma.name], grads[beta.name], value];
    });
    const ref = gradsOf(reference, [x, gamma, beta]);
    expect(await maxRel(ours[0], ref[0])).toBeLessThan(1e-5);
    expect(await maxRel(ours[1], ref[1])).toBeLessThan(1e-5);
    expect(await maxRel(ours[2], ref[2])).toBeLessThan(1e-5);
    // Running statistics after the two training-mode calls above: PyTorch's update with the unbiased variance.
    const [mm, mv] = bn.getWeights().slice(2);
    const expected = tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const n = 3 * 5 * 6;
      let m = tf.zeros([7]);
      let v = tf.ones([7]);
      for (let i = 0; i < 2; i++) {
        m = tf.add(tf.mul(m, 0.9), tf.mul(mean, 0.1));
        v = tf.add(tf.mul(v, 0.9), tf.mul(tf.mul(variance, n / (n - 1)), 0.1));
      }
      return [m, v];
    });
    expect(await maxRel(mm, expected[0])).toBeLessThan(1e-6);
    expect(await maxRel(mv, expected[1])).toBeLessThan(1e-6);
    if (backend === 'native') {
      const stats = native.mod!.nativeKernelStats();
      expect(stats['HrnetBatchNormTrain']?.native ?? 0).toBeGreaterThan(0);
      expect(stats['HrnetBatchNormTrainGrad']?.native ?? 0).toBeGreaterThan(0);
    }
    tf.dispose([x, ...ours, ...ref, ...expected]);
    bn.dispose();
  });
});
