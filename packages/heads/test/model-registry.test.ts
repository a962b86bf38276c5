import * as tf from '@tensorflow/tfjs';
import { COCO_FLIP_INDEX, IMAGENET_MEAN, IMAGENET_STD, listModels as listBackbones } from '@hrnet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, createModel, listFamilies, listModels, modelInfo } from '../src/index.js';
import { HIGHER_TINY_CONFIG, tinyHrnetConfig } from './tiny-configs.js';

const TINY = tinyHrnetConfig(16, [4, 8, 16, 32]);
const higherCfg = HIGHER_TINY_CONFIG;
const sameWeights = (a: tf.LayersModel, b: tf.LayersModel) => {
  const wa = a.getWeights();
  const wb = b.getWeights();
  return wa.length === wb.length && wa.every((w, i) => w.dataSync().every((v, k) => v === wb[i].dataSync()[k]));
};
const kernels = (m: tf.LayersModel) => m.weights.filter((w) => /kernel$/.test(w.originalName ?? w.name) && /conv|final_layers|deconv/.test(w.name));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createModel / listModels / modelInfo', () => {
  it('lists every classifier variant, HigherHRNet, segmentation and top-down preset, sorted, with its family', () => {
    const names = listModels();
    expect(listFamilies()).toEqual(['classification', 'higher-hrnet', 'segmentation', 'top-down']);
    expect(names).toEqual(
      [...listBackbones(undefined, { family: 'hrnet' }), 'higherhrnet_w32_512', 'higherhrnet_w32_640', 'higherhrnet_w48_640', 'hrnetv2_w48_cityscapes', 'hrnetv2_w48_cityscapes_ohem', 'hf_hrnet_18_coco_256x192', 'hf_hrnet_30_coco_256x192', 'pose_hrnet_w32_256x192', 'pose_hrnet_w32_384x288'].sort(),
    );
    expect(modelInfo('hrnetv2_w48_cityscapes_ohem').family).toBe('segmentation');
    for (const n of ['hrnet_w18_small', 'hrnet_w18_small_v2', 'hrnet_w18', 'hrnet_w30', 'hrnet_w32', 'hrnet_w40', 'hrnet_w44', 'hrnet_w48', 'hrnet_w64']) {
      expect(modelInfo(n).family).toBe('classification');
    }
    expect(listModels('higherhrnet_*')).toEqual(['higherhrnet_w32_512', 'higherhrnet_w32_640', 'higherhrnet_w48_640']);
  });

  it("carries each preset's preprocessing as data (timm's pretrained cfg; HigherHRNet's DATASET)", () => {
    expect(modelInfo('hrnet_w32')).toEqual({
      name: 'hrnet_w32',
      family: 'classification',
      preprocessing: { inputSize: [224, 224], mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], interpolation: 'bilinear', cropPct: 0.875 },
      pretrained: 'hrnet_w32.ms_in1k',
    });
    // timm: a bare name is its default tag's pretrained cfg; ms_aug_in1k crops 0.95, ms_in1k 0.875.
    expect(modelInfo('hrnet_w18')).toMatchObject({ pretrained: 'hrnet_w18.ms_aug_in1k', preprocessing: { cropPct: 0.95, inputSize: [224, 224] } });
    expect(modelInfo('hrnet_w18.ms_in1k')).toMatchObject({ name: 'hrnet_w18', pretrained: 'hrnet_w18.ms_in1k', preprocessing: { cropPct: 0.875 } });
    expect(() => modelInfo('hrnet_w18.in22k')).toThrow("hrnet_w18: no pretrained tag 'in22k'; timm publishes 'ms_aug_in1k', 'ms_in1k'");
    expect(() => modelInfo('higherhrnet_w32_512.coco')).toThrow(/^higherhrnet_w32_512: no published weights on a hub to download/);
    expect(modelInfo('higherhrnet_w48_640')).toEqual({
      name: 'higherhrnet_w48_640',
      family: 'higher-hrnet',
      preprocessing: { inputSize: [640, 640], mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], interpolation: 'bilinear', flipIndex: [...COCO_FLIP_INDEX] },
    });
  });

  it('names the valid choices for an unknown model or family', () => {
    expect(() => createModel('hrnet_w99')).toThrow(/unknown model 'hrnet_w99'; valid names: hf_hrnet_18_coco_256x192, .*higherhrnet_w32_512, .*hrnet_w18_small, .*hrnet_w64/);
    expect(() => modelInfo('resnet50')).toThrow(/unknown model 'resnet50'/);
    expect(() => createModel({ family: 'keypoint-rcnn', config: {} })).toThrow(/unknown model family 'keypoint-rcnn'; valid families: classification, higher-hrnet, segmentation, top-down/);
  });

  it('builds a segmentation preset with its classes and align_corners, and a family config given its options', () => {
    expect(modelInfo('hrnetv2_w48_cityscapes').preprocessing).toEqual({ inputSize: [512, 1024], mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], interpolation: 'bilinear' });
    const tiny = {
      STAGE1: { NUM_MODULES: 1, NUM_BRANCHES: 1, BLOCK: 'BOTTLENECK', NUM_BLOCKS: [1], NUM_CHANNELS: [8], FUSE_METHOD: 'SUM' },
      STAGE2: { NUM_MODULES: 1, NUM_BRANCHES: 2, BLOCK: 'BASIC', NUM_BLOCKS: [1, 1], NUM_CHANNELS: [4, 8], FUSE_METHOD: 'SUM' },
      STAGE3: { NUM_MODULES: 1, NUM_BRANCHES: 3, BLOCK: 'BASIC', NUM_BLOCKS: [1, 1, 1], NUM_CHANNELS: [4, 8, 16], FUSE_METHOD: 'SUM' },
      STAGE4: { NUM_MODULES: 1, NUM_BRANCHES: 4, BLOCK: 'BASIC', NUM_BLOCKS: [1, 1, 1, 1], NUM_CHANNELS: [4, 8, 16, 32], FUSE_METHOD: 'SUM' },
      FINAL_CONV_KERNEL: 1,
    };
    expect(() => createModel({ family: 'segmentation', config: tiny })).toThrow(/numClasses must be a positive integer/);
    const m = createModel({ family: 'segmentation', config: tiny }, { numClasses: 5, alignCorners: false, seed: 1 });
    expect(m.outputs[0].shape).toEqual([null, null, null, 5]);
    m.dispose();
  });

  it("builds a preset with the family's defaults (timm's 1000 classes) and the same network as the family entry point", () => {
    const viaFactory = createModel('hrnet_w18_small');
    const direct = createClassifier('hrnet_w18_small', { numClasses: 1000 });
    expect(viaFactory.outputs[0].shape).toEqual([null, 1000]);
    expect(viaFactory.countParams()).toBe(direct.countParams());
    expect(viaFactory.layers.map((l) => l.name).join()).toBe(direct.layers.map((l) => l.name).join());
    viaFactory.dispose();
    direct.dispose();
  });

  it("draws the classifier's timm init from `seed`: equal seeds give equal weights, kaiming fan_out scale", () => {
    const a = createModel({ family: 'classification', config: TINY }, { numClasses: 3, seed: 7 });
    const b = createModel({ family: 'classification', config: TINY }, { numClasses: 3, seed: 7 });
    const c = createModel({ family: 'classification', config: TINY }, { numClasses: 3, seed: 8 });
    expect(sameWeights(a, b)).toBe(true);
    expect(sameWeights(a, c)).toBe(false);
    // conv1: 3x3, 16 out → std sqrt(2 / (9 * 16)) = 0.118
    const conv1 = a.weights.find((w) => w.name.startsWith('conv1'))!.read();
    const variance = tf.moments(conv1).variance;
    const std = Math.sqrt(variance.dataSync()[0]);
    variance.dispose();
    expect(Math.abs(std - Math.sqrt(2 / 144))).toBeLessThan(0.02);
    for (const m of [a, b, c]) m.dispose();
  });

  it("draws HigherHRNet's official init (N(0, 0.001) kernels, zero biases) from `seed`", () => {
    const a = createModel({ family: 'higher-hrnet', config: higherCfg }, { seed: 3 });
    const b = createModel({ family: 'higher-hrnet', config: higherCfg }, { seed: 3 });
    expect(sameWeights(a, b)).toBe(true);
    const ks = kernels(a);
    expect(ks.length).toBeGreaterThan(10);
    for (const k of ks) expect(Math.max(...Array.from(k.read().dataSync(), Math.abs))).toBeLessThan(0.006);
    for (const m of [a, b]) m.dispose();
  });
});
