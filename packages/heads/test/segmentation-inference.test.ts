import * as tf from '@tensorflow/tfjs';
import { Conv2d, createRng, initBackend, multiScaleSize, torchResizeBilinear } from '@hrnet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSegmenter, initSegmenterWeights, listSegmenterPresets, predictScores, scoresToLabels, segmentationTask, segmentImage, segmenterPreset, type SegExtraInput,
} from '../src/index.js';

const TINY_EXTRA: SegExtraInput = {
  STAGE1: { NUM_MODULES: 1, NUM_BRANCHES: 1, BLOCK: 'BOTTLENECK', NUM_BLOCKS: [1], NUM_CHANNELS: [8], FUSE_METHOD: 'SUM' },
  STAGE2: { NUM_MODULES: 1, NUM_BRANCHES: 2, BLOCK: 'BASIC', NUM_BLOCKS: [1, 1], NUM_CHANNELS: [8, 16], FUSE_METHOD: 'SUM' },
  STAGE3: { NUM_MODULES: 1, NUM_BRANCHES: 3, BLOCK: 'BASIC', NUM_BLOCKS: [1, 1, 1], NUM_CHANNELS: [8, 16, 32], FUSE_METHOD: 'SUM' },
  STAGE4: { NUM_MODULES: 1, NUM_BRANCHES: 4, BLOCK: 'BASIC', NUM_BLOCKS: [1, 1, 1, 1], NUM_CHANNELS: [8, 16, 32, 64], FUSE_METHOD: 'SUM' },
};

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
const maxAbs = (a: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]);

/** A per-pixel model (1×1 conv at full resolution): any tiling of the image gives the same per-pixel scores. */
function pointwiseModel(classes: number): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 3] });
  const model = tf.model({ inputs: input, outputs: new Conv2d({ name: 'cls', filters: classes, kernelSize: 1, useBias: true }).apply(input) as tf.SymbolicTensor });
  tf.tidy(() => model.layers[1].weights.forEach((w, i) => w.write(tf.randomNormal(w.shape as number[], 0, 0.5, 'float32', 3 + i))));
  return model;
}

describe('segmentation inference and task', () => {
  let before = 0;
  let model: tf.LayersModel;
  beforeAll(async () => {
    await initBackend('wasm', { log: () => {} });
    model = createSegmenter(TINY_EXTRA, { numClasses: 4, alignCorners: false });
    initSegmenterWeights(model, 1);
    before = tf.memory().numTensors;
  });
  afterAll(() => {
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('predictScores: exp of the logits resized to the image, flip averaged in as base_dataset.inference', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 64, 96, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const up = (t: tf.Tensor4D) => torchResizeBilinear(model.predict(t) as tf.Tensor4D, [64, 96], false);
      const want = tf.exp(tf.div(tf.add(up(x), tf.reverse(up(tf.reverse(x, 2)), 2)), 2));
      const got = predictScores(model, x, false, true);
      expect(got.shape).toEqual([1, 64, 96, 4]);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-6 * maxAbs(want));
      // One scale at the image's own size is the same thing.
      expect(maxAbsDiff(segmentImage(model, x, { alignCorners: false, flip: true }), want)).toBeLessThan(1e-6 * maxAbs(want));
    });
  });

  it('multi_scale_aug sizes: long side round(base·scale), short side in proportion', () => {
    expect(multiScaleSize(1024, 2048, 2048, 0.75)).toEqual([768, 1536]);
    expect(multiScaleSize(1024, 2048, 2048, 1.25)).toEqual([1280, 2560]);
    expect(multiScaleSize(500, 375, 512, 1)).toEqual([512, 384]);
    expect(multiScaleSize(375, 500, 512, 0.5)).toEqual([192, 256]);
  });

  it('sliding windows tile the scaled image exactly: a per-pixel model gives the whole-image scores', () => {
    const pw = pointwiseModel(3);
    tf.tidy(() => {
      const x = tf.randomNormal([1, 40, 56, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
      // Scale 1.5 → 60×84, windows 32×48 (2×2, the last shifted back so they overlap); plus a whole-image scale.
      const sliding = segmentImage(pw, x, { alignCorners: true, scales: [0.5, 1.5], crop: [32, 48], flip: true });
      const whole = segmentImage(pw, x, { alignCorners: true, scales: [0.5, 1.5], flip: true });
      expect(sliding.shape).toEqual([1, 40, 56, 3]);
      expect(maxAbsDiff(sliding, whole)).toBeLessThan(1e-5 * maxAbs(whole));
    });
    pw.dispose();
  });

  it('the task: inputs, loss terms and decoded labels at the label size', () => {
    const task = segmentationTask({ model, alignCorners: false, classWeights: [1, 1, 2, 1], ohem: { thresh: 0.9, minKept: 100 } });
    expect(task.name).toBe('segmentation');
    tf.tidy(() => {
      const rng = createRng(2);
      const batch = {
        images: tf.randomNormal([2, 32, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D,
        labels: tf.tensor3d(Int32Array.from({ length: 2 * 32 * 64 }, () => rng.int(4)), [2, 32, 64], 'int32'),
      };
      const outputs = [model.apply(task.inputs(batch), { training: true }) as tf.Tensor];
      const { total, terms } = task.loss(outputs, batch);
      expect(Number.isFinite(total.dataSync()[0]) && total.dataSync()[0] > 0).toBe(true);
      expect(Object.keys(terms)).toEqual(['ohem_ce']);
      const labels = task.decode(outputs, batch);
      expect(labels.shape).toEqual([2, 32, 64]);
      const want = scoresToLabels(torchResizeBilinear(outputs[0] as tf.Tensor4D, [32, 64], false));
      expect(maxAbsDiff(labels, want)).toBe(0);
    });
  });

  it('seg_hrnet init: conv weights N(0, 0.001²), BN 1 / 0; presets as data', () => {
    const w = model.getLayer('stage4.0.branches.3.0.conv1').weights[0].read();
    const std = tf.tidy(() => Math.sqrt(tf.moments(w).variance.dataSync()[0]));
    expect(std).toBeGreaterThan(0.0009);
    expect(std).toBeLessThan(0.0011);
    expect(listSegmenterPresets()).toEqual(['hrnetv2_w48_cityscapes', 'hrnetv2_w48_cityscapes_ohem']);
    const p = segmenterPreset('hrnetv2_w48_cityscapes_ohem');
    expect(p).toMatchObject({ backbone: 'hrnet_w48', numClasses: 19, alignCorners: false, loss: { ohem: { thresh: 0.9, minKept: 131072 } }, train: { crop: [512, 1024], baseSize: 2048 } });
    expect(() => segmenterPreset('nope')).toThrow(/unknown segmentation preset 'nope'; valid: hrnetv2_w48_cityscapes/);
  });
});
