import * as tf from '@tensorflow/tfjs';
import { crossEntropy, topKAccuracy, type EncodedBatch, type KeypointSample, type TargetArray } from '@hrnet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classificationTask, createHigherHrnetLoss, createModel, HigherHrnetCodec, higherHrnetPreset, higherHrnetTask, poseDecodeMeta } from '../src/index.js';
import { HIGHER_TINY_CONFIG, tinyHrnetConfig } from './tiny-configs.js';

const TINY = tinyHrnetConfig(16, [4, 8, 16, 32]);
const higherCfg = HIGHER_TINY_CONFIG;
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('classificationTask', () => {
  it('loss = cross entropy (label smoothing as asked), metrics = top-k accuracies, decode = softmax top-k; tidy', async () => {
    const model = createModel({ family: 'classification', config: TINY }, { numClasses: 7, seed: 1 });
    const batch = { images: seeded(4 * 32 * 32 * 3, 2), shape: [4, 32, 32, 3] as const, labels: Int32Array.from([0, 3, 6, 3]) };
    const task = classificationTask(model, { loss: { smoothing: 0.1 } });
    expect(Object.keys(task.metrics!)).toEqual(['top1', 'top5']);
    const before = tf.memory().numTensors;
    const kept = tf.tidy(() => {
      const out = model.apply(task.inputs(batch), { training: false }) as tf.Tensor;
      const { total, terms } = task.loss([out], batch);
      return [total, terms.cross_entropy, crossEntropy(out, batch.labels, { smoothing: 0.1 }), task.metrics!.top1([out], batch), topKAccuracy(out as tf.Tensor2D, batch.labels, 1)];
    });
    const [total, term, ref, top1, refTop1] = kept.map((t) => t.dataSync()[0]);
    tf.dispose(kept);
    expect(tf.memory().numTensors).toBe(before);
    expect(total).toBe(ref);
    expect(term).toBe(ref);
    expect(top1).toBe(refTop1);
    const logits = model.predict(task.inputs(batch) as tf.Tensor) as tf.Tensor;
    const decoded = await task.decode!([logits], { k: 3 });
    const probs = tf.softmax(logits).arraySync() as number[][];
    decoded.forEach((d, i) => {
      expect(d.classes[0]).toBe(probs[i].indexOf(Math.max(...probs[i])));
      expect(d.probabilities[0]).toBeCloseTo(Math.max(...probs[i]), 6);
      expect(d.probabilities).toEqual([...d.probabilities].sort((a, b) => b - a));
    });
    tf.dispose(logits);
    // mixup/cutmix batches carry soft targets [N, K]: the loss takes them instead of the labels
    const targets = new Float32Array(4 * 7);
    [0, 3, 6, 3].forEach((y, i) => {
      targets[i * 7 + y] += 0.7;
      targets[i * 7 + [3, 6, 3, 0][i]] += 0.3;
    });
    const [soft, softRef, hard] = tf.tidy(() => {
      const out = model.apply(task.inputs(batch), { training: false }) as tf.Tensor;
      return [
        task.loss([out], { ...batch, targets }).total,
        crossEntropy(out, tf.tensor2d(targets, [4, 7]), { smoothing: 0.1 }),
        task.loss([out], batch).total,
      ].map((t) => t.dataSync()[0]);
    });
    expect(soft).toBe(softRef);
    expect(soft).not.toBe(hard);
    model.dispose();
  });
});

describe('higherHrnetTask', () => {
  /** A batch of two 64x64 images with people at random places, encoded by `codec` and stacked. */
  function batchOf(codec: HigherHrnetCodec): EncodedBatch {
    const samples = [0, 1].map((i): KeypointSample => {
      const coords = seeded(2 * 17 * 3, 10 + i);
      return {
        image: seeded(64 * 64 * 3, 20 + i).map((v) => v * 4 - 2),
        inputSize: 64,
        numJoints: 17,
        people: 2,
        maps: codec.targetSizes.map((r) => ({
          size: r,
          mask: Uint8Array.from(seeded(r * r, 30 + i), (v) => (v < 0.9 ? 1 : 0)),
          joints: Float64Array.from(coords, (v, k) => (k % 3 === 2 ? (v < 0.8 ? 2 : 0) : v * r)),
        })),
        boxes: [],
        augScale: 1,
      };
    });
    const encoded = samples.map((s) => codec.encode(s));
    const stack = (list: TargetArray[]): TargetArray => {
      const data = list[0].data instanceof Int32Array ? new Int32Array(2 * list[0].data.length) : new Float32Array(2 * list[0].data.length);
      list.forEach((t, b) => data.set(t.data, b * t.data.length));
      return { data, shape: [2, ...list[0].shape] };
    };
    const targets = Object.fromEntries(Object.keys(encoded[0]).map((key) => [key, encoded[0][key].map((_, k) => stack(encoded.map((e) => e[key][k])))]));
    const images = new Float32Array(2 * 64 * 64 * 3);
    samples.forEach((s, b) => images.set(s.image, b * s.image.length));
    return { size: 2, images, imageShape: [2, 64, 64, 3], targets };
  }

  it("loss = MultiLossFactory on the codec's targets: channels-last and reference-layout batches give the same terms", () => {
    const model = createModel({ family: 'higher-hrnet', config: higherCfg }, { seed: 0 });
    const cfg = { MODEL: higherCfg.MODEL, LOSS: higherHrnetPreset('higherhrnet_w32_512').config.LOSS };
    const targets = { ...HigherHrnetCodec.fromPreset('higherhrnet_w32_512').targets, outputSizes: [16, 32] };
    const hwj = new HigherHrnetCodec(targets);
    const jhw = new HigherHrnetCodec({ ...targets, heatmapLayout: 'JHW' });
    const a = higherHrnetTask(model, cfg, hwj);
    const b = higherHrnetTask(model, cfg, jhw);
    const before = tf.memory().numTensors;
    const kept = tf.tidy(() => {
      const batch = batchOf(hwj);
      const out = model.apply(a.inputs(batch), { training: false }) as tf.Tensor[];
      const viaA = a.loss(out, batch);
      const viaB = b.loss(out, batchOf(jhw));
      const direct = createHigherHrnetLoss(cfg)(out, {
        heatmaps: batch.targets.heatmaps.map((h) => tf.tensor(h.data, h.shape)),
        masks: batch.targets.masks.map((m) => tf.tensor(m.data, m.shape)),
        joints: batch.targets.joints.map((j) => ({ values: j.data, shape: j.shape as [number, number, number, number] })),
      });
      const pick = (l: { total: tf.Scalar; terms: Record<string, tf.Scalar> }) => [l.total, ...Object.keys(l.terms).sort().map((k) => l.terms[k])];
      return [pick(viaA), pick(viaB), pick(direct)].map((list) => tf.stack(list));
    });
    const [la, lb, ref] = kept.map((t) => Array.from(t.dataSync()));
    tf.dispose(kept);
    expect(tf.memory().numTensors).toBe(before);
    expect(la).toEqual(ref);
    expect(lb.map((v, i) => Math.abs(v - la[i]) <= 1e-6 * Math.abs(la[i]))).toEqual(la.map(() => true));
    expect(la.length).toBe(1 + 4); // total + stage0 heatmaps/push/pull + stage1 heatmaps
    expect(la[0]).toBeGreaterThan(0);
    model.dispose();
  });

  it('decode = the codec\'s pose decoding for the image geometry in `meta`; a preset name brings its codec', async () => {
    // The layers' own (Kaiming) initialisation: heatmaps far enough from 0 for people to be found.
    const model = createModel({ family: 'higher-hrnet', config: higherCfg });
    expect(() => higherHrnetTask(model, higherCfg)).toThrow(/pass the codec/);
    const task = higherHrnetTask(model, 'higherhrnet_w32_512');
    expect(task.codec.targets.outputSizes).toEqual([128, 256]);
    const x = tf.tensor4d(seeded(64 * 64 * 3, 5), [1, 64, 64, 3]);
    const out = model.predict(x) as tf.Tensor[];
    const meta = poseDecodeMeta(64, 64, 64);
    const viaTask = await task.decode!(out, { meta, detectionThreshold: 0 });
    const viaCodec = await task.codec.decode(out, undefined, meta, { detectionThreshold: 0 });
    expect(viaTask.scores).toEqual(viaCodec.scores);
    expect(viaTask.poses.length).toBeGreaterThan(0);
    expect(viaTask.people).toEqual(viaCodec.people);
    await expect(Promise.resolve().then(() => task.decode!(out))).rejects.toThrow(/needs \{ meta/);
    tf.dispose([x, ...out]);
    model.dispose();
  });
});
