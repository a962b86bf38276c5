/**
 * Both model families on the webgpu backend (tfjs-backend-webgpu on Dawn; lavapipe, a software Vulkan
 * adapter, in CI): the classifier and tiny HigherHRNet parity suites against the PyTorch fixtures (same
 * harness and tolerances as cpu/wasm), the classifier's training gradients against cpu, and a few
 * training steps of each with @hrnet/core/backend's applyTraining + variableGrads that lower the loss.
 * Skipped, with the reason printed, only where no WebGPU adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { applyTraining, initBackend, listWebgpuAdapters, variableGrads } from '@hrnet/core/backend';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { higherHrnetTinyParitySpecs } from '../../../test-utils/higherhrnet-tiny-parity.js';
import { hrnetClsParitySpec } from '../../../test-utils/hrnet-cls-parity.js';
import { describeParity } from '../../../test-utils/parity-harness.js';
import { describeSkippedWebgpu, loadWebgpu } from '../../../test-utils/webgpu.js';
import { createClassifier, createHigherHRNet, createHigherHrnetLoss } from '../src/index.js';

const webgpu = await loadWebgpu(listWebgpuAdapters);
const clsSpec = hrnetClsParitySpec(createClassifier);
const poseSpecs = higherHrnetTinyParitySpecs(createHigherHRNet);
const SLOW_MS = 300_000;

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** Deterministic weights (seeded uniform with the initialisers' spread), so cpu and webgpu see the same model. */
function seedWeights(model: tf.LayersModel): void {
  model.weights.forEach((w, i) => {
    const shape = w.shape as number[];
    if (shape.length < 2) return;
    const std = shape.length === 4 ? Math.sqrt(2 / (shape[0] * shape[1] * shape[3])) : Math.sqrt(1 / shape[0]);
    w.write(tf.tidy(() => tf.mul(tf.tensor(seeded(w.read().size, 300 + i), shape), std * Math.sqrt(3))));
  });
}

type Loss = (out: tf.Tensor | tf.Tensor[]) => tf.Scalar;

/** Loss and every trainable gradient of one training step (core's applyTraining + variableGrads), read asynchronously. */
async function step(model: tf.LayersModel, x: tf.Tensor, loss: Loss): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = variableGrads(() => loss(applyTraining(model, x)), vars);
  const out: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(grads)) out[k] = (await t.data()) as Float32Array;
  const l = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss: l, grads: out };
}

/** SGD steps on the active backend; returns the losses (read asynchronously) and checks numTensors stays flat. */
async function sgdLosses(model: tf.LayersModel, x: tf.Tensor, loss: Loss, steps: number, lr: number): Promise<number[]> {
  const opt = tf.train.sgd(lr);
  const losses: number[] = [];
  let before = -1;
  for (let i = 0; i < steps; i++) {
    const value = tf.tidy(() => {
      const { value: v, grads } = variableGrads(() => loss(applyTraining(model, x)), model.trainableWeights.map((w) => w.read() as tf.Variable));
      opt.applyGradients(grads);
      return v;
    });
    losses.push((await value.data())[0]);
    value.dispose();
    if (i === 0) before = tf.memory().numTensors;
    else expect(tf.memory().numTensors).toBe(before);
  }
  opt.dispose();
  return losses;
}

if (!webgpu.available) describeSkippedWebgpu('classifier and HigherHRNet parity and training on webgpu', webgpu);
else {
  describeParity(clsSpec, ['webgpu']);
  for (const spec of poseSpecs) describeParity(spec, ['webgpu']);

  describe('training on webgpu', () => {
    beforeAll(async () => {
      // initBackend('cpu') also replaces tfjs-backend-cpu's wrong resize gradients, so cpu is a valid reference.
      await initBackend('cpu', { log: () => {} });
    });

    it('classifier: training-step gradients equal cpu (1e-3 of each gradient max |value|), then SGD steps lower the loss', async () => {
      await initBackend('cpu', { log: () => {} });
      // Built and seeded on cpu: tensors move cpu → webgpu, never back (webgpu has no synchronous reads in Node).
      const model = clsSpec.build();
      seedWeights(model);
      const [h, w] = (model.inputs[0].shape as number[]).slice(1, 3).map((d) => d ?? 64);
      const labels = tf.oneHot(tf.tensor1d([3, 1], 'int32'), model.outputs[0].shape[1] as number);
      const x = tf.tensor4d(seeded(2 * h * w * 3, 1), [2, h, w, 3]);
      const lossFn = (out: tf.Tensor | tf.Tensor[]) => tf.losses.softmaxCrossEntropy(labels, out as tf.Tensor) as tf.Scalar;
      const c = await step(model, x, lossFn);
      await initBackend('webgpu', { log: () => {} });
      const g = await step(model, x, lossFn);
      const names = Object.keys(c.grads);
      expect(Object.keys(g.grads).sort()).toEqual([...names].sort());
      expect(Math.abs(g.loss - c.loss) / Math.abs(c.loss)).toBeLessThan(1e-4);
      const globalScale = Math.max(...names.map((n) => c.grads[n].reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
      let worst = 0;
      let where = '';
      for (const name of names) {
        const [a, b] = [g.grads[name], c.grads[name]];
        let scale = 0;
        let err = 0;
        for (let i = 0; i < b.length; i++) {
          scale = Math.max(scale, Math.abs(b[i]));
          err = Math.max(err, Math.abs(a[i] - b[i]));
        }
        // Conv biases before a training-mode BatchNorm have gradient 0 in exact arithmetic (rounding noise on
        // both backends): each tensor's scale is floored at 1e-4 of the model's largest gradient.
        const rel = err / Math.max(scale, 1e-4 * globalScale);
        if (rel > worst) [worst, where] = [rel, name];
      }
      console.log(`classifier training gradients webgpu vs cpu: ${names.length} weights, max relative error ${worst.toExponential(2)} (${where})`);
      expect(worst, where).toBeLessThan(1e-3);
      const losses = await sgdLosses(model, x, lossFn, 4, 0.05);
      console.log(`classifier SGD on webgpu: losses ${losses.map((l) => l.toFixed(4)).join(' → ')}`);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      tf.dispose([labels, x]);
      model.dispose();
    }, SLOW_MS);

    it('HigherHRNet tiny: heatmap + AE loss (gather/ScatterNd) SGD steps lower the loss, numTensors flat', async () => {
      await initBackend('webgpu', { log: () => {} });
      const config = JSON.parse(readFileSync(new URL('../../../fixtures/higherhrnet/model_tiny/config.json', import.meta.url), 'utf8'));
      // The published two-stage LOSS block (w32_512_adam_lr1e-3.yaml) over the fixture's WITH_AE_LOSS.
      const lossFn = createHigherHrnetLoss({
        ...config,
        LOSS: { ...config.LOSS, NUM_STAGES: 2, AE_LOSS_TYPE: 'exp', WITH_HEATMAPS_LOSS: [true, true], HEATMAPS_LOSS_FACTOR: [1, 1], PUSH_LOSS_FACTOR: [0.001, 0.001], PULL_LOSS_FACTOR: [0.001, 0.001] },
      });
      const n = 1;
      const size = 64;
      const model = createHigherHRNet(config, { inputShape: [size, size, 3] });
      const x = tf.tensor4d(seeded(n * size * size * 3, 2), [n, size, size, 3]);
      const outs = model.outputs.map((o) => o.shape as number[]);
      const heatmaps = outs.map(([, h, w], k) => tf.tensor4d(Float32Array.from(seeded(n * h! * w! * 17, 10 + k), (v) => Math.max(0, v)), [n, h!, w!, 17]));
      const masks = outs.map(([, h, w]) => tf.ones([n, h!, w!]));
      // Two people, 17 joints each, at fixed positions of each output's tag maps (index t·H·W + y·W + x).
      const joints = outs.map(([, h, w]) => {
        const values = new Int32Array(n * 2 * 17 * 2);
        for (let p = 0; p < 2; p++)
          for (let j = 0; j < 17; j++) {
            const o = (p * 17 + j) * 2;
            values[o] = j * h! * w! + ((3 + 5 * p + j) % h!) * w! + ((2 + 7 * p + 2 * j) % w!);
            values[o + 1] = 1;
          }
        return { values, shape: [n, 2, 17, 2] as const };
      });
      const loss = (out: tf.Tensor | tf.Tensor[]) => lossFn(out as tf.Tensor[], { heatmaps, masks, joints }).total;
      const losses = await sgdLosses(model, x, loss, 4, 0.01);
      console.log(`HigherHRNet tiny SGD on webgpu: losses ${losses.map((l) => l.toFixed(5)).join(' → ')}`);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      tf.dispose([...heatmaps, ...masks, x]);
      model.dispose();
    }, SLOW_MS);
  });
}
