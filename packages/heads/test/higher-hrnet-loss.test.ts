import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import { readFloat32File } from '@hrnet/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHigherHrnetLoss, type AeLossType, type HigherHrnetTargets } from '../src/index.js';
import { associativeEmbeddingLoss } from '../src/higher-hrnet/associative-embedding-loss.js';
import { heatmapLoss } from '../src/higher-hrnet/heatmap-loss.js';

const dir = fileURLToPath(new URL('../../../fixtures/higherhrnet/loss/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8'));
const files = manifest.files as Record<string, { file: string; shape: number[]; dtype: string }>;
const ref = manifest.losses;
const modelCfg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../fixtures/higherhrnet/model_tiny/config.json', import.meta.url)), 'utf8'));
// The MODEL block of the tiny net with the fixture's LOSS block (w32_512's values).
const config = { MODEL: modelCfg.MODEL, LOSS: manifest.config.LOSS };

const float = (key: string) => readFloat32File(`${dir}${files[key].file}`);
const int32 = (key: string) => {
  const b = readFileSync(`${dir}${files[key].file}`);
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
/** NCHW / NJHW fixture tensor → NHWC. */
const nhwc = (key: string) => tf.tidy(() => tf.tensor(float(key), files[key].shape).transpose([0, 2, 3, 1]));

const RTOL = 1e-5;
let worst = { err: 0, where: '' };
/** |actual - expected| <= 1e-5 |expected| element-wise (exact zeros must come out exactly 0). */
function expectRel(actual: ArrayLike<number>, expected: number[], where: string): void {
  expect(actual.length, where).toBe(expected.length);
  expected.forEach((e, i) => {
    const err = Math.abs(actual[i] - e) / Math.abs(e || 1);
    if (err > worst.err) worst = { err, where: `${where}[${i}]` };
    expect(Math.abs(actual[i] - e), `${where}[${i}]: ${actual[i]} vs ${e}`).toBeLessThanOrEqual(RTOL * Math.abs(e));
  });
}

const joints32 = { values: int32('target_joints_32'), shape: files.target_joints_32.shape as [number, number, number, number] };
const joints64 = { values: int32('target_joints_64'), shape: files.target_joints_64.shape as [number, number, number, number] };

/** Float64 reference of the official AELoss for one image: tags flattened NCHW, joints [P, K, 2]. */
function aeReference(tags: Float64Array | Float32Array, joints: ArrayLike<number>, people: number, slots: number, type: AeLossType): [number, number] {
  const means: number[] = [];
  let pull = 0;
  for (let p = 0; p < people; p++) {
    const t: number[] = [];
    for (let k = 0; k < slots; k++) if (joints[(p * slots + k) * 2 + 1] > 0) t.push(tags[joints[(p * slots + k) * 2]]);
    if (!t.length) continue;
    const m = t.reduce((a, b) => a + b, 0) / t.length;
    means.push(m);
    pull += t.reduce((a, v) => a + (v - m) ** 2, 0) / t.length;
  }
  const n = means.length;
  if (n === 0) return [0, 0];
  if (n === 1) return [0, pull];
  let push = 0;
  for (const a of means) for (const b of means) push += type === 'exp' ? Math.exp(-((a - b) ** 2)) : Math.max(0, 1 - Math.abs(a - b));
  return [((push - n) / ((n - 1) * n)) * 0.5, pull / n];
}

describe.each(['wasm', 'cpu'] as const)('HigherHRNet losses equal lib/core/loss.py on %s (relative 1e-5)', (backend) => {
  let outputs: tf.Tensor[];
  let batch: HigherHrnetTargets;
  beforeAll(async () => {
    await initBackend(backend, { log: () => {} });
    outputs = [nhwc('pred_output_0'), nhwc('pred_output_1')];
    batch = {
      heatmaps: [nhwc('target_heatmaps_32'), nhwc('target_heatmaps_64')],
      masks: [tf.tensor(float('target_masks_32'), files.target_masks_32.shape), tf.tensor(float('target_masks_64'), files.target_masks_64.shape)],
      joints: [joints32, joints64],
    };
  });
  afterAll(() => {
    tf.dispose([...outputs, ...batch.heatmaps, ...batch.masks]);
    console.log(`HigherHRNet losses on ${backend}: max relative error ${worst.err.toExponential(2)} (${worst.where})`);
    worst = { err: 0, where: '' };
  });

  it('MultiLossFactory per-image values and the trainer.py total', () => {
    const before = tf.memory().numTensors;
    const loss = createHigherHrnetLoss(config);
    const r = loss(outputs, batch);
    expectRel(r.perImage.heatmaps[0]!.dataSync(), ref.heatmaps_loss_per_sample[0], 'heatmaps[0]');
    expectRel(r.perImage.heatmaps[1]!.dataSync(), ref.heatmaps_loss_per_sample[1], 'heatmaps[1]');
    expectRel(r.perImage.push[0]!.dataSync(), ref.push_loss_per_sample[0], 'push[0]');
    expectRel(r.perImage.pull[0]!.dataSync(), ref.pull_loss_per_sample[0], 'pull[0]');
    expect(r.perImage.push[1]).toBeNull();
    expect(r.perImage.pull[1]).toBeNull();
    expectRel(r.total.dataSync(), [ref.total_as_in_trainer], 'total');
    expect(Object.keys(r.terms)).toEqual(['stage0_heatmaps_loss', 'stage0_push_loss', 'stage0_pull_loss', 'stage1_heatmaps_loss']);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expectRel(r.terms.stage0_push_loss.dataSync(), [mean(ref.push_loss_per_sample[0])], 'stage0_push_loss');
    // Only the returned tensors outlive the call.
    const kept = [r.total, ...Object.values(r.terms), ...Object.values(r.perImage).flat().filter((t): t is tf.Tensor1D => t !== null)];
    expect(tf.memory().numTensors - before).toBe(new Set(kept.map((t) => t.id)).size);
    tf.dispose(kept);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("accepts the reference's NJHW heatmap layout", () => {
    tf.tidy(() => {
      const njhw = ['target_heatmaps_32', 'target_heatmaps_64'].map((k) => tf.tensor(float(k), files[k].shape));
      const r = createHigherHrnetLoss(config)(outputs, { ...batch, heatmaps: njhw, heatmapsLayout: 'NJHW' });
      expectRel(r.perImage.heatmaps[1]!.dataSync(), ref.heatmaps_loss_per_sample[1], 'heatmaps[1] NJHW');
      expectRel(r.total.dataSync(), [ref.total_as_in_trainer], 'total NJHW');
    });
  });

  it.each(['exp', 'max'] as const)("unscaled AELoss '%s' (P = 3, 3 and 1 people)", (type) => {
    tf.tidy(() => {
      const tags = tf.slice(outputs[0], [0, 0, 0, 17], [-1, -1, -1, 17]);
      const { push, pull } = associativeEmbeddingLoss(tags, joints32, type);
      expectRel(push.dataSync(), ref.ae_unscaled_stage0[type].push_per_sample, `${type} push`);
      expectRel(pull.dataSync(), ref.ae_unscaled_stage0[type].pull_per_sample, `${type} pull`);
    });
  });

  it('AELoss with no tagged people is 0 / 0; heatmap loss counts masked pixels in the mean', () => {
    tf.tidy(() => {
      const none = associativeEmbeddingLoss(tf.ones([2, 4, 4, 3]), { values: new Int32Array(2 * 5 * 3 * 2), shape: [2, 5, 3, 2] }, 'exp');
      expect(Array.from(none.push.dataSync())).toEqual([0, 0]);
      expect(Array.from(none.pull.dataSync())).toEqual([0, 0]);
      const mask = tf.tensor3d([1, 0, 0, 0], [1, 2, 2]);
      // (1 - 0)^2 over 2x2x2 values, one pixel counted: 2 / 8.
      expect(heatmapLoss(tf.ones([1, 2, 2, 2]), tf.zeros([1, 2, 2, 2]), mask).dataSync()[0]).toBe(0.25);
    });
  });

  it('gradients flow into the predictions: AE gradient equals a float64 finite-difference reference, tidy-clean', () => {
    const type: AeLossType = 'exp';
    const [n, people, slots] = joints32.shape;
    const tagsNchw = tf.tidy(() => tf.slice(outputs[0], [0, 0, 0, 17], [-1, -1, -1, 17]).transpose([0, 3, 1, 2]));
    const flat = Float64Array.from(tagsNchw.dataSync());
    const per = flat.length / n;
    tagsNchw.dispose();
    const before = tf.memory().numTensors;
    // d(Σ_images push + pull)/d tags, through the whole multi-loss on the raw outputs.
    const g = tf.tidy(() => {
      const x = outputs[0];
      const gradFn = tf.grad((o: tf.Tensor) => {
        const { push, pull } = associativeEmbeddingLoss(tf.slice(o, [0, 0, 0, 17], [-1, -1, -1, 17]), joints32, type);
        return tf.add(tf.sum(push), tf.sum(pull));
      });
      return tf.slice(gradFn(x), [0, 0, 0, 17], [-1, -1, -1, 17]).transpose([0, 3, 1, 2]);
    });
    const grad = g.dataSync();
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    let checked = 0;
    let maxErr = 0;
    let scale = 0;
    const touched = new Set<number>();
    for (let img = 0; img < n; img++) {
      const j = joints32.values.subarray(img * people * slots * 2, (img + 1) * people * slots * 2);
      const tags = flat.subarray(img * per, (img + 1) * per);
      const f = () => aeReference(tags, j, people, slots, type).reduce((a, b) => a + b, 0);
      for (let s = 0; s < people * slots; s++) {
        if (!(j[2 * s + 1] > 0) || touched.has(img * per + j[2 * s])) continue;
        const k = j[2 * s];
        touched.add(img * per + k);
        const h = 1e-4;
        const v = tags[k];
        tags[k] = v + h;
        const up = f();
        tags[k] = v - h;
        const down = f();
        tags[k] = v;
        const numeric = (up - down) / (2 * h);
        maxErr = Math.max(maxErr, Math.abs(grad[img * per + k] - numeric));
        scale = Math.max(scale, Math.abs(numeric));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(maxErr / scale).toBeLessThan(1e-4);
    // Nothing but the gathered positions receives gradient.
    let elsewhere = 0;
    for (let i = 0; i < grad.length; i++) if (!touched.has(i)) elsewhere += Math.abs(grad[i]);
    expect(elsewhere).toBe(0);
  });

  it('the total is differentiable w.r.t. both outputs (heatmaps and tags)', () => {
    const loss = createHigherHrnetLoss(config);
    const before = tf.memory().numTensors;
    const [g0, g1] = tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => loss([a, b], batch).total)([outputs[0], outputs[1]]));
    const absSum = (t: tf.Tensor, from: number, count: number) => tf.tidy(() => tf.sum(tf.abs(tf.slice(t, [0, 0, 0, from], [-1, -1, -1, count]))).dataSync()[0]);
    expect(absSum(g0, 0, 17)).toBeGreaterThan(0);
    expect(absSum(g0, 17, 17)).toBeGreaterThan(0);
    expect(absSum(g1, 0, 17)).toBeGreaterThan(0);
    tf.dispose([g0, g1]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('HigherHRNet loss config', () => {
  it('applies check_config: every per-stage list has NUM_STAGES entries', () => {
    expect(() => createHigherHrnetLoss({ MODEL: modelCfg.MODEL, LOSS: { ...manifest.config.LOSS, PULL_LOSS_FACTOR: [0.001] } })).toThrow(/LOSS\.PULL_LOSS_FACTOR: needs NUM_STAGES \(2\) entries, got 1/);
    // The tiny fixture's config (only WITH_AE_LOSS given) builds the network but not the loss, as in the official code.
    expect(() => createHigherHrnetLoss(modelCfg)).toThrow(/LOSS\.WITH_AE_LOSS: needs NUM_STAGES \(1\) entries, got 2/);
    expect(() => createHigherHrnetLoss('higherhrnet_w32_512')).not.toThrow();
  });
});
