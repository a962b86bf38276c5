import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConvTranspose2d, createBackbone, DEFAULT_INIT_SEED, layerSeed, withInitSeed } from '../src/index.js';
import { TINY } from './helpers/tiny-config.js';

const weightsOf = (m: tf.LayersModel) => m.weights.map((w) => ({ name: w.originalName, values: w.read().dataSync() as Float32Array }));

function build(seed?: number) {
  const model = createBackbone(TINY, { seed, inputShape: [32, 32, 3] });
  const weights = weightsOf(model);
  model.dispose();
  return weights;
}

describe('seeded initial weights', () => {
  it('two models built with the same seed have identical weights; another seed changes every kernel', () => {
    const before = tf.memory().numTensors;
    const a = build(7);
    const b = build(7);
    const c = build(8);
    expect(a.map((w) => w.name)).toEqual(b.map((w) => w.name));
    a.forEach((w, i) => expect(b[i].values).toEqual(w.values));
    const kernels = a.map((w, i) => ({ ...w, i })).filter((w) => /kernel$/.test(w.name));
    expect(kernels.length).toBeGreaterThan(20);
    for (const k of kernels) expect(c[k.i].values).not.toEqual(k.values);
    // BatchNorm starts at gamma 1, beta 0, running mean 0, variance 1 whatever the seed
    a.forEach((w, i) => {
      if (!/kernel$/.test(w.name)) expect(c[i].values).toEqual(w.values);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('defaults to DEFAULT_INIT_SEED, and layers of one model draw different values', () => {
    const d = build();
    const z = build(DEFAULT_INIT_SEED);
    d.forEach((w, i) => expect(z[i].values).toEqual(w.values));
    // two kernels of one shape (stage 2's two 3x3 8->8 convs of branch 0) are not the same draw
    const k1 = d.find((w) => w.name.startsWith('stage2.0.branches.0.0.conv1'))!.values;
    const k2 = d.find((w) => w.name.startsWith('stage2.0.branches.0.0.conv2'))!.values;
    expect(k1.length).toBe(k2.length);
    expect(k2).not.toEqual(k1);
  });

  it('keeps the kaiming_normal(fan_out) scale of timm: std of a 3x3 64->64 kernel within 3 % of sqrt(2 / (9 * 64))', () => {
    const k = build(3).find((w) => w.name.startsWith('stage4.0.branches.3.0.conv1/'))!.values; // 36864 draws: std's own error ~0.4 %
    expect(k.length).toBe(9 * 64 * 64);
    const mean = k.reduce((s, v) => s + v, 0) / k.length;
    const std = Math.sqrt(k.reduce((s, v) => s + (v - mean) ** 2, 0) / k.length);
    expect(Math.abs(std / Math.sqrt(2 / (9 * 64)) - 1)).toBeLessThan(0.03);
  });

  it('seeds ConvTranspose2d from its name, or from an explicit seed', () => {
    const draw = (args: { name: string; seed?: number }) => {
      const layer = new ConvTranspose2d({ filters: 4, kernelSize: 4, strides: 2, padding: 1, ...args });
      tf.tidy(() => {
        layer.apply(tf.zeros([1, 5, 5, 3]));
      });
      const v = layer.getWeights()[0].dataSync().slice();
      layer.dispose();
      return v;
    };
    expect(draw({ name: 'final_layers.0' })).toEqual(draw({ name: 'final_layers.0' }));
    expect(draw({ name: 'final_layers.1' })).not.toEqual(draw({ name: 'final_layers.0' }));
    expect(draw({ name: 'a', seed: 5 })).toEqual(draw({ name: 'b', seed: 5 }));
  });

  it('withInitSeed restores the previous model seed, also when the build throws', () => {
    const outside = layerSeed('x');
    expect(withInitSeed(9, () => layerSeed('x'))).not.toBe(outside);
    expect(() => withInitSeed(9, () => { throw new Error('boom'); })).toThrow('boom');
    expect(layerSeed('x')).toBe(outside);
    expect(() => withInitSeed(1.5, () => 0)).toThrow('seed must be an integer, got 1.5');
  });
});
