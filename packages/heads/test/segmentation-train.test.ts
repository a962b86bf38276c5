import * as tf from '@tensorflow/tfjs';
import { createRng } from '@hrnet/core';
import { applyTraining, initBackend, variableGrads } from '@hrnet/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, initSegmenterWeights, segmentationTask, type SegExtraInput } from '../src/index.js';

const stage = (n: number, widths: number[]) => ({ NUM_MODULES: 1, NUM_BRANCHES: n, BLOCK: 'BASIC' as const, NUM_BLOCKS: widths.map(() => 1), NUM_CHANNELS: widths, FUSE_METHOD: 'SUM' as const });
const EXTRA: SegExtraInput = {
  STAGE1: { NUM_MODULES: 1, NUM_RANCHES: 1, BLOCK: 'BOTTLENECK', NUM_BLOCKS: [1], NUM_CHANNELS: [8], FUSE_METHOD: 'SUM' },
  STAGE2: stage(2, [8, 16]),
  STAGE3: stage(3, [8, 16, 32]),
  STAGE4: stage(4, [8, 16, 32, 64]),
};

// The Trainer's step (core's applyTraining + variableGrads) on the segmentation task gives tfjs's own gradients.
// wasm only: on cpu one step pair blocks the test worker for ~60 s (vitest's RPC timeout) on a loaded machine;
// the cpu gradients themselves are covered by the parity suite.
describe.each(['wasm'] as const)('segmentation training step on %s', (backend) => {
  let model: tf.LayersModel;
  beforeAll(async () => {
    await initBackend(backend, { log: () => {} });
    model = createSegmenter(EXTRA, { numClasses: 5, alignCorners: false });
    initSegmenterWeights(model, 3);
  });
  afterAll(() => model.dispose());

  it.each([false, true])('applyTraining + variableGrads equal tf.variableGrads of model.apply (OHEM %s)', (ohem) => {
    const task = segmentationTask({ model, alignCorners: false, classWeights: [1, 2, 1, 0.5, 1], ohem: ohem ? { thresh: 0.7, minKept: 500 } : undefined });
    const rng = createRng(8);
    const batch = {
      images: tf.randomNormal([2, 32, 64, 3], 0, 1, 'float32', 4) as tf.Tensor4D,
      labels: tf.tensor3d(Int32Array.from({ length: 2 * 32 * 64 }, () => (rng.next() < 0.1 ? 255 : rng.int(5))), [2, 32, 64], 'int32'),
    };
    const before = tf.memory().numTensors;
    const ours = variableGrads(() => task.loss([applyTraining(model, task.inputs(batch)) as tf.Tensor], batch).total);
    const ref = tf.variableGrads(() => task.loss([model.apply(task.inputs(batch), { training: true }) as tf.Tensor], batch).total);
    expect(Math.abs(ours.value.dataSync()[0] - ref.value.dataSync()[0])).toBeLessThan(1e-6 * ref.value.dataSync()[0]);
    const names = Object.keys(ref.grads);
    expect(Object.keys(ours.grads).sort()).toEqual(names.sort());
    let worst = 0;
    for (const n of names) {
      const scale = tf.tidy(() => tf.max(tf.abs(ref.grads[n])).dataSync()[0]) || 1;
      worst = Math.max(worst, tf.tidy(() => tf.max(tf.abs(tf.sub(ours.grads[n], ref.grads[n]))).dataSync()[0]) / scale);
    }
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([ours.value, ref.value, ...Object.values(ours.grads), ...Object.values(ref.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([batch.images, batch.labels]);
  });
});
