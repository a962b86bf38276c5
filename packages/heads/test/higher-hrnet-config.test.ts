import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { imageInput, initBackend, type FeatureInfo } from '@hrnet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHigherHRNet, higherHrnetPreset, listHigherHrnetPresets, parseHigherHrnetConfig, type HigherHrnetConfigInput } from '../src/index.js';
import { higherHrnetHead } from '../src/higher-hrnet/higher-hrnet-head.js';

const dir = fileURLToPath(new URL('../../../fixtures/higherhrnet/model_tiny/', import.meta.url));
const tiny = JSON.parse(readFileSync(`${dir}config.json`, 'utf8')) as HigherHrnetConfigInput;
const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8'));

const size = (ws: tf.LayerVariable[]) => ws.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
const clone = (): any => structuredClone(tiny);
const withModel = (model: tf.LayersModel, f: (m: tf.LayersModel) => void) => {
  try {
    f(model);
  } finally {
    model.dispose();
  }
};

beforeAll(() => initBackend('cpu', { log: () => {} }));

describe('HigherHRNet presets and parameter counts', () => {
  it('registers the three published configs', () => {
    expect(listHigherHrnetPresets()).toEqual(['higherhrnet_w32_512', 'higherhrnet_w32_640', 'higherhrnet_w48_640']);
    expect(higherHrnetPreset('higherhrnet_w32_640')).toMatchObject({ preprocessing: { inputSize: [640, 640] }, targets: { outputSizes: [160, 320] } });
    expect(() => higherHrnetPreset('higherhrnet_w18')).toThrow(/unknown HigherHRNet preset 'higherhrnet_w18'; valid names: higherhrnet_w32_512/);
  });

  // README: W32 28.6M, W48 63.8M. Measured: 28,645,331 and 63,827,139 (BN running statistics not counted).
  it.each([
    ['higherhrnet_w32_512', 28_645_331, 28.6],
    ['higherhrnet_w48_640', 63_827_139, 63.8],
  ] as const)('%s has %i parameters (README: %sM)', (name, count, millions) => {
    withModel(createHigherHRNet(name), (m) => {
      expect(size(m.trainableWeights)).toBe(count);
      expect(Math.round(count / 1e5) / 10).toBe(millions);
      expect(m.outputs.map((o) => o.shape)).toEqual([
        [null, null, null, 34],
        [null, null, null, 17],
      ]);
    });
  });

  it('the tiny fixture model has the reference parameter count and state-dict size', () => {
    withModel(createHigherHRNet(tiny), (m) => {
      expect(size(m.trainableWeights)).toBe(manifest.weights.num_parameters_excluding_running_stats);
      expect(m.weights.length).toBe(manifest.weights.num_tensors);
    });
  });
});

describe('HigherHRNet config (official MODEL / LOSS blocks)', () => {
  it('accepts keys the network ignores and the other yaml sections', () => {
    const cfg = clone();
    Object.assign(cfg.MODEL, { INIT_WEIGHTS: true, PRETRAINED: 'models/pytorch/imagenet/hrnet_w32-36af842e.pth' });
    Object.assign(cfg, { DATASET: { INPUT_SIZE: 128 }, TRAIN: { LR: 0.001 }, GPUS: [0] });
    const parsed = parseHigherHrnetConfig(cfg);
    expect(parsed.MODEL.EXTRA.FINAL_CONV_KERNEL).toBe(1);
    expect(parsed.LOSS).toMatchObject({ AE_LOSS_TYPE: 'max', WITH_AE_LOSS: [true, false] }); // default.py fills the rest
  });

  it('names unknown keys and bad values by their full path', () => {
    const cfg = clone();
    cfg.MODEL.EXTRA.DECONV.NUM_DECONV = 1;
    cfg.LOSS.PUSH_FACTOR = [1];
    cfg.MODEL.EXTRA.DECONV.KERNEL_SIZE = [5];
    const message = (c: unknown) => {
      try {
        parseHigherHrnetConfig(c);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    const err = message(cfg);
    expect(err).toMatch(/MODEL\.EXTRA\.DECONV\.NUM_DECONV: unknown key/);
    expect(err).toMatch(/LOSS\.PUSH_FACTOR: unknown key/);
    expect(err).toMatch(/MODEL\.EXTRA\.DECONV\.KERNEL_SIZE\.0: deconv kernel must be 2, 3 or 4/);
    // Cross-key rules run once every key is valid on its own.
    const widths = clone();
    widths.MODEL.EXTRA.STAGE3.NUM_CHANNELS = [8, 16];
    expect(message(widths)).toMatch(/MODEL\.EXTRA\.STAGE3\.NUM_CHANNELS: needs one entry per branch \(3\), got 2/);
  });

  it('rejects another network NAME and a WITH_AE_LOSS shorter than the outputs', () => {
    const named = clone();
    named.MODEL.NAME = 'pose_hrnet';
    expect(() => createHigherHRNet(named)).toThrow(/MODEL\.NAME/);
    const short = clone();
    short.LOSS.WITH_AE_LOSS = [true];
    expect(() => createHigherHRNet(short)).toThrow(/LOSS\.WITH_AE_LOSS: needs an entry per output/);
  });
});

describe('HigherHRNet network structure', () => {
  it.each([2, 3, 4] as const)('deconv kernel %i doubles the resolution exactly (non-square 64x96)', (k) => {
    const cfg = clone();
    cfg.MODEL.EXTRA.DECONV.KERNEL_SIZE = [k];
    withModel(createHigherHRNet(cfg, { inputShape: [64, 96, 3] }), (m) => {
      expect(m.outputs.map((o) => o.shape)).toEqual([
        [null, 16, 24, 34],
        [null, 32, 48, 17],
      ]);
      tf.tidy(() => {
        const ys = m.predict(tf.zeros([1, 64, 96, 3])) as tf.Tensor[];
        expect(ys.map((y) => y.shape)).toEqual([
          [1, 16, 24, 34],
          [1, 32, 48, 17],
        ]);
      });
    });
  });

  it('follows TAG_PER_JOINT, WITH_AE_LOSS, CAT_OUTPUT, FINAL_CONV_KERNEL and NUM_DECONVS', () => {
    const cfg = clone();
    cfg.MODEL.TAG_PER_JOINT = false;
    cfg.MODEL.EXTRA.FINAL_CONV_KERNEL = 3;
    cfg.MODEL.EXTRA.DECONV = { NUM_DECONVS: 2, NUM_CHANNELS: [8, 4], KERNEL_SIZE: [4, 4], NUM_BASIC_BLOCKS: 2, CAT_OUTPUT: [true, false] };
    cfg.LOSS.WITH_AE_LOSS = [true, true, false];
    withModel(createHigherHRNet(cfg), (m) => {
      expect(m.outputs.map((o) => o.shape[3])).toEqual([18, 18, 17]);
      expect(m.getLayer('final_layers.0').getWeights()[0].shape).toEqual([3, 3, 8, 18]);
      // [features 8 + y0 18] → deconv 0; deconv 1 without concat reads the 8 deconv channels only.
      expect(m.getLayer('deconv_layers.0.0.0').getWeights()[0].shape).toEqual([4, 4, 8, 26]);
      expect(m.getLayer('deconv_layers.1.0.0').getWeights()[0].shape).toEqual([4, 4, 4, 8]);
      expect(m.getLayer('deconv_layers.1.2.0.conv2').name).toBe('deconv_layers.1.2.0.conv2');
    });
    const single = clone();
    single.MODEL.EXTRA.DECONV.NUM_DECONVS = 0;
    withModel(createHigherHRNet(single), (m) => expect(m.outputs.map((o) => o.shape[3])).toEqual([34]));
  });

  it('rejects inputs whose sides are not multiples of 32', () => {
    withModel(createHigherHRNet(tiny), (m) => {
      expect(() => tf.tidy(() => m.predict(tf.zeros([1, 96, 80, 3])))).toThrow(/multiples of 32/);
    });
  });

  it('round-trips through the Keras JSON topology (every custom layer registered)', async () => {
    const m = createHigherHRNet(tiny);
    const copy = await tf.models.modelFromJSON({ modelTopology: m.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] });
    expect(copy.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    m.dispose();
    copy.dispose();
  });

  it('the head follows the Head contract: it checks the features it is given', () => {
    const head = higherHrnetHead(parseHigherHrnetConfig(tiny));
    const x = imageInput({ inputShape: [32, 32, 8] });
    const info: FeatureInfo[] = [{ name: 'f', channels: 8, reduction: 8 }];
    expect(() => head([x], info)).toThrow(/1\/4 resolution, got 1\/8/);
    expect(() => head([x], [])).toThrow(/featureInfo/);
  });
});
