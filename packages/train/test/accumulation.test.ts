import * as tf from '@tensorflow/tfjs';
import { applyTraining, variableGrads } from '@hrnet/core/backend';
import { describe, expect, it } from 'vitest';
import { cosineSchedule, DynamicLossScaler, SGD, StaticLossScaler, Trainer, type TrainerEvent } from '../src/index.js';
import { crossEntropy, distToyModel, toyBatches, type ToyBatch } from './helpers.js';

const maxDiff = (a: tf.Tensor[], b: tf.Tensor[]) => Math.max(...a.map((t, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(t, b[i]))).dataSync()[0])));
const weightsOf = (m: tf.LayersModel) => m.weights.map((w) => w.read());

function trainer(model: tf.LayersModel, opts: { micro?: number; momentum?: number; scaler?: 'static' | 'dynamic'; onLog?: (e: TrainerEvent) => void } = {}) {
  return new Trainer<ToyBatch>({
    model,
    loss: crossEntropy,
    optimizer: new SGD({ learningRate: 0.1, momentum: opts.momentum ?? 0, weightDecay: 1e-3 }),
    lrSchedule: cosineSchedule({ baseLr: 0.1, totalSteps: 6, warmupSteps: 2, warmupLr: 0.01 }),
    lossScaler: opts.scaler === 'static' ? new StaticLossScaler({ scale: 1024 }) : opts.scaler === 'dynamic' ? new DynamicLossScaler({ initScale: 2 ** 10 }) : undefined,
    microBatch: opts.micro ? { size: opts.micro, cache: false } : undefined,
    progress: 'none',
    onLog: opts.onLog,
  });
}

describe('gradient accumulation (micro-batches summed before one optimizer step)', () => {
  it('without BatchNorm: micro-batches of 3 (3+3+2) equal one batch of 8 within 1e-5, with momentum, an lr schedule and loss scaling', async () => {
    const data = toyBatches(4, 8, 11);
    const whole = distToyModel(false);
    const micro = distToyModel(false);
    const a = trainer(whole, { momentum: 0.9, scaler: 'static' });
    const b = trainer(micro, { momentum: 0.9, scaler: 'static', micro: 3 });
    for (const batch of data) {
      const [ra, rb] = [await a.trainStep(batch), await b.trainStep(batch)];
      expect(rb.batchSize).toBe(8);
      expect(rb.lr).toBe(ra.lr);
      expect(Math.abs(ra.loss - rb.loss)).toBeLessThan(1e-5);
    }
    expect(b.steps).toBe(4); // one schedule step per optimizer step, not per micro-batch
    expect(maxDiff(weightsOf(whole), weightsOf(micro))).toBeLessThan(1e-5);
    // Evaluation in parts of the micro-batch gives the per-sample means of whole batches.
    const [inParts, atOnce] = [await b.evaluate(data), await trainer(micro).evaluate(data)];
    expect(Math.abs(inParts.loss - atOnce.loss)).toBeLessThan(1e-6);
    expect(inParts.samples).toBe(32);
    // The test can fail: training moved the weights well beyond the tolerance.
    const fresh = distToyModel(false);
    expect(maxDiff(weightsOf(fresh), weightsOf(micro))).toBeGreaterThan(1e-3);
    tf.dispose([whole, micro, fresh].map((m) => m.weights.map((w) => w.read())));
  });

  it('with BatchNorm: each micro-batch is normalised by its own statistics, which take one momentum update per micro-batch (the README difference)', async () => {
    const [batch] = toyBatches(1, 8, 5);
    const halves = [0, 4].map((s) => ({ images: batch.images.slice(s * 16, (s + 4) * 16), labels: batch.labels.slice(s, s + 4), shape: [4, 4, 4, 1] as [number, number, number, number] }));
    const model = distToyModel(true);
    await trainer(model, { micro: 4 }).trainStep(batch);

    // The documented rule, by hand: gradients of each half alone (its own batch statistics, BN running
    // statistics updated by each pass in turn), averaged with weight 4/8 each, then one SGD update.
    const ref = distToyModel(true);
    const vars = ref.trainableWeights.map((w) => w.read() as tf.Variable);
    const sum = tf.tidy(() => {
      const gs = halves.map((h) => {
        const { grads } = variableGrads(() => crossEntropy(applyTraining(ref, tf.tensor4d(h.images, h.shape)), h), vars);
        return vars.map((v) => grads[v.name]);
      });
      return vars.map((_, i) => tf.mul(tf.add(gs[0][i], gs[1][i]), 0.5));
    });
    const lr = cosineSchedule({ baseLr: 0.1, totalSteps: 6, warmupSteps: 2, warmupLr: 0.01 })(0);
    vars.forEach((v, i) => v.assign(tf.tidy(() => tf.sub(v, tf.mul(tf.add(sum[i], tf.mul(v.shape.length >= 2 ? 1e-3 : 0, v)), lr)))));
    tf.dispose(sum);
    expect(maxDiff(weightsOf(model), weightsOf(ref))).toBeLessThan(1e-5);
    const stats = (m: tf.LayersModel) => m.nonTrainableWeights.map((w) => w.read());
    expect(maxDiff(stats(model), stats(ref))).toBeLessThan(1e-6);

    // And this is not what one batch of 8 gives (statistics over all 8 samples, one running-statistics update).
    const one = distToyModel(true);
    await trainer(one).trainStep(batch);
    expect(maxDiff(stats(model), stats(one))).toBeGreaterThan(1e-4);
    expect(maxDiff(weightsOf(model), weightsOf(one))).toBeGreaterThan(1e-6);
  });

  it('an overflow in one micro-batch skips the whole step: weights and BatchNorm statistics unchanged, scale halved', async () => {
    const [batch] = toyBatches(1, 8, 3);
    const model = distToyModel(true);
    let pass = 0;
    const t = new Trainer<ToyBatch>({
      model,
      // The second of the two micro-batches overflows.
      loss: (out, b) => tf.mul(crossEntropy(out, b), ++pass === 2 ? 1e38 : 1) as tf.Scalar,
      optimizer: new SGD({ learningRate: 0.1 }),
      lossScaler: new DynamicLossScaler({ initScale: 2 ** 10 }),
      microBatch: { size: 4, cache: false },
      progress: 'none',
    });
    const before = model.weights.map((w) => tf.clone(w.read()));
    const r = await t.trainStep(batch);
    expect(pass).toBe(2);
    expect(r.skipped).toBe(true);
    expect(maxDiff(weightsOf(model), before)).toBe(0);
    expect(t.steps).toBe(1);
    const after = await t.trainStep(batch);
    expect(after.skipped).toBe(false);
    expect(after.lossScale).toBe(2 ** 9);
    tf.dispose(before);
  });

  it('is tidy: the tensor count stays flat over steps with micro-batches, loss scaling and evaluation', async () => {
    const data = toyBatches(3, 7, 9);
    const model = distToyModel(true);
    const counts: number[] = [];
    const events: TrainerEvent[] = [];
    const t = trainer(model, { micro: 2, scaler: 'dynamic', onLog: (e) => (events.push(e), e.type === 'step' && counts.push(tf.memory().numTensors)) });
    await t.fit(data, { epochs: 3, valData: data });
    expect(counts.length).toBe(9);
    expect(new Set(counts.slice(1)).size).toBe(1);
    const report = events.find((e) => e.type === 'microBatch');
    expect(report).toMatchObject({ size: 2, batch: 7, microBatches: 4, source: 'fixed' });
  });
});
