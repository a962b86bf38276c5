import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '@hrnet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../src/index.js';
import { tinyHrnetConfig } from './tiny-configs.js';

// End-to-end check of @hrnet/core's wasm training kernels on the real model: a tiny HRNet classifier
// (every block type, transition, fuse path and the timm head) trains on wasm with the same gradients as
// the reference cpu backend, and a training loop does not leak tensors.
const TINY = tinyHrnetConfig(64, [8, 16, 32, 64]);

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/**
 * An event-loop turn inside the long tests: on a loaded machine they run for a minute or more without yielding,
 * and vitest's worker must read its runner's RPC reply within 60 s (see vitest.setup.ts at the repository root).
 */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('HRNet classifier training on the wasm backend', () => {
  let model: tf.LayersModel;
  const xValues = seeded(2 * 64 * 64 * 3, 1);
  const labels = [3, 7];

  beforeAll(async () => {
    // initBackend('cpu') also replaces tfjs-backend-cpu's wrong resize gradients, so cpu is a valid reference.
    await initBackend('cpu', { log: () => {} });
    await initBackend('wasm', { log: () => {} });
    model = createClassifier(TINY, { numClasses: 10, headChannels: [8, 16, 32, 64], numFeatures: 256, inputShape: [64, 64, 3] });
    // Deterministic weights: seeded uniform with the initialisers' spread (kaiming fan-out for convs,
    // 1/sqrt(fan-in) for the classifier); 1-D weights keep their constant initial values. Fixed seeds matter:
    // the two backends' forward passes agree to ~1e-7, so a ReLU input within that distance of 0 can fall on
    // different sides and move one pixel's share of a gradient (up to ~1e-3 of it) — a property of the data,
    // not of the kernels (each kernel matches a float64 reference to ~1e-7 on the same inputs). These seeds
    // have no such pre-activation.
    model.weights.forEach((w, i) => {
      const shape = w.shape as number[];
      if (shape.length < 2) return;
      const std = shape.length === 4 ? Math.sqrt(2 / (shape[0] * shape[1] * shape[3])) : Math.sqrt(1 / shape[0]);
      w.write(tf.tidy(() => tf.mul(tf.tensor(seeded(w.read().size, 300 + i), shape), std * Math.sqrt(3))));
    });
  });
  afterAll(() => model.dispose());

  /** Loss and gradients of every trainable weight on `backend`, as plain arrays keyed by variable name. */
  async function grads(backend: string) {
    await tf.setBackend(backend);
    const x = tf.tensor4d(xValues, [2, 64, 64, 3]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
    const { value, grads: g } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    );
    const out = Object.fromEntries(Object.entries(g).map(([k, t]) => [k, t.dataSync() as Float32Array]));
    const loss = value.dataSync()[0];
    tf.dispose([x, y, value, ...Object.values(g)]);
    return { loss, grads: out };
  }

  it('variableGrads on wasm equal those on cpu (1e-4 of each gradient max |value|)', async () => {
    const w = await grads('wasm');
    await turn();
    const c = await grads('cpu');
    await tf.setBackend('wasm');
    const names = Object.keys(c.grads);
    expect(names.length).toBe(model.trainableWeights.length);
    expect(Object.keys(w.grads).sort()).toEqual(names.sort());
    expect(Math.abs(w.loss - c.loss) / Math.abs(c.loss)).toBeLessThan(1e-5);
    let worst = 0;
    let where = '';
    const globalScale = Math.max(...names.map((n) => c.grads[n].reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    for (const name of names) {
      const a = w.grads[name];
      const b = c.grads[name];
      let scale = 0;
      let err = 0;
      for (let i = 0; i < b.length; i++) {
        scale = Math.max(scale, Math.abs(b[i]));
        err = Math.max(err, Math.abs(a[i] - b[i]));
      }
      // A conv bias in front of a training-mode BatchNorm has gradient exactly 0 in exact arithmetic; both
      // backends return rounding noise (~1e-9, vs ~1 for the largest gradient) there, so each tensor's scale
      // is floored at 1e-4 of the largest gradient in the model.
      const rel = err / Math.max(scale, 1e-4 * globalScale);
      if (rel > worst) [worst, where] = [rel, name];
    }
    console.log(`classifier gradients wasm vs cpu: ${names.length} weights, max relative error ${worst.toExponential(2)} (${where})`);
    expect(worst, where).toBeLessThan(1e-4);
  });

  it('an SGD loop on wasm: numTensors stays flat over 100 steps and the loss goes down', async () => {
    await tf.setBackend('wasm');
    const opt = tf.train.sgd(0.05);
    const x = tf.tensor4d(xValues, [2, 64, 64, 3]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
    const step = () =>
      tf.tidy(() => {
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
        return loss.dataSync()[0];
      });
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 100; i++) {
      last = step();
      expect(tf.memory().numTensors).toBe(before);
      if (i % 10 === 9) await turn();
    }
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(first);
    tf.dispose([x, y]);
    opt.dispose();
  });
});
