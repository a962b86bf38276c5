import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createBackbone, exportPytorchStateDict, loadStateDict, type StateDict } from '@hrnet/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createSegmenter, parseSegExtra, resolveSegNetwork } from '../src/index.js';

const dir = fileURLToPath(new URL('../../../fixtures/hrnet-seg/', import.meta.url));
const TINY = JSON.parse(readFileSync(`${dir}tiny.config.json`, 'utf8'))['MODEL.EXTRA'];

const stage = (modules: number, widths: number[]) => ({
  NUM_MODULES: modules, NUM_BRANCHES: widths.length, BLOCK: 'BASIC', NUM_BLOCKS: widths.map(() => 4), NUM_CHANNELS: widths, FUSE_METHOD: 'SUM',
});
// MODEL.EXTRA of experiments/cityscapes/seg_hrnet_w48_train_512x1024_sgd_lr1e-2_wd5e-4_bs_12_epoch484.yaml, typo included.
const W48_EXTRA = {
  FINAL_CONV_KERNEL: 1,
  STAGE1: { NUM_MODULES: 1, NUM_RANCHES: 1, BLOCK: 'BOTTLENECK', NUM_BLOCKS: [4], NUM_CHANNELS: [64], FUSE_METHOD: 'SUM' },
  STAGE2: stage(1, [48, 96]),
  STAGE3: stage(4, [48, 96, 192]),
  STAGE4: stage(3, [48, 96, 192, 384]),
};

describe('segmenter config', () => {
  it('the official Cityscapes W48 MODEL.EXTRA (with its NUM_RANCHES spelling) is the registry hrnet_w48', () => {
    expect(resolveSegNetwork(W48_EXTRA as never)).toEqual(resolveSegNetwork('hrnet_w48'));
  });

  it('names the offending key of a bad MODEL.EXTRA', () => {
    const message = (extra: unknown) => {
      try {
        parseSegExtra(extra);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    // Key and value errors first (zod checks branch counts once the keys and types are right).
    const badKeys = structuredClone(W48_EXTRA) as any;
    badKeys.STAGE2.FOO = 1;
    badKeys.FINAL_CONV_KERNEL = 2;
    delete badKeys.STAGE1.BLOCK;
    const keyMsg = message(badKeys);
    expect(keyMsg).toMatch(/^invalid MODEL\.EXTRA:/);
    expect(keyMsg).toMatch(/STAGE2\.FOO: unknown key/);
    expect(keyMsg).toMatch(/FINAL_CONV_KERNEL: must be 1 or 3/);
    expect(keyMsg).toMatch(/STAGE1\.BLOCK: /);
    const badCounts = structuredClone(W48_EXTRA) as any;
    badCounts.STAGE3.NUM_CHANNELS = [48, 96];
    badCounts.STAGE4.NUM_BRANCHES = 3;
    const countMsg = message(badCounts);
    expect(countMsg).toMatch(/STAGE3\.NUM_CHANNELS: needs one entry per branch \(3\), got 2/);
    expect(countMsg).toMatch(/STAGE4\.NUM_BRANCHES: must be 4/);
    expect(() => createSegmenter('hrnet_w99', { numClasses: 19, alignCorners: false })).toThrow(/unknown model 'hrnet_w99'; valid names: .*hrnet_w48/);
    expect(() => createSegmenter('hrnet_w18_small', { numClasses: 0, alignCorners: false })).toThrow(/numClasses must be a positive integer, got 0/);
  });
});

const countParams = (m: tf.LayersModel) => m.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y as number), 1), 0);

describe('HRNetV2-W48 (Cityscapes) at full width', () => {
  it('is the w48 backbone plus last_layer: 1x1 conv 720→720 (bias), BN 720, 1x1 conv 720→19 (bias): 65,859,379 parameters', () => {
    const seg = createSegmenter('hrnet_w48', { numClasses: 19, alignCorners: false });
    const backbone = createBackbone('hrnet_w48');
    const c = 48 + 96 + 192 + 384;
    expect(countParams(seg)).toBe(countParams(backbone) + (c * c + c) + 2 * c + (19 * c + 19));
    expect(countParams(seg)).toBe(65_859_379);
    seg.dispose();
    backbone.dispose();
  });
});

describe('createSegmenter', () => {
  const model = createSegmenter(TINY, { numClasses: 5, alignCorners: false });
  afterAll(() => model.dispose());

  it('returns NHWC logits at 1/4 of any input size (ceil), as seg_hrnet forward', () => {
    const shapes = tf.tidy(() => [[64, 96], [50, 70]].map(([h, w]) => (model.predict(tf.zeros([1, h, w, 3])) as tf.Tensor).shape));
    expect(shapes).toEqual([[1, 16, 24, 5], [1, 13, 18, 5]]);
  });

  it('round-trips through the tfjs model format (ResizeBilinear keeps its align_corners)', async () => {
    const ac = createSegmenter(TINY, { numClasses: 5, alignCorners: true });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await ac.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const diff = tf.tidy(() => {
      const x = tf.randomNormal([1, 40, 56, 3], 0, 1, 'float32', 2);
      return tf.max(tf.abs(tf.sub(ac.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor))).dataSync()[0];
    });
    expect(diff).toBe(0);
    ac.dispose();
    loaded.dispose();
  });

  it("loads a FullModel checkpoint ('model.' prefix, the criterion's 'loss.*' buffer) with naming 'hrnet-seg'", () => {
    const sd = exportPytorchStateDict(model, { naming: 'hrnet-seg' });
    const wrapped: StateDict = { 'loss.criterion.weight': { dtype: 'float32', shape: [5], data: new Float32Array(5) } };
    for (const [k, v] of Object.entries(sd)) wrapped[`model.${k}`] = { dtype: 'float32', shape: v.shape, data: v.data.map((x) => x + 1) };
    const other = createSegmenter(TINY, { numClasses: 5, alignCorners: false });
    const report = loadStateDict(other, wrapped, { naming: 'hrnet-seg' });
    expect(report.loaded.length).toBe(Object.keys(sd).length);
    expect(report.ignored).toEqual(['loss.criterion.weight']);
    const back = exportPytorchStateDict(other, { naming: 'hrnet-seg' });
    expect(back['last_layer.3.bias'].data).toEqual(sd['last_layer.3.bias'].data.map((x) => x + 1));
    other.dispose();
  });
});
