import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamicLossScaler, SGD, StaticLossScaler, Trainer, type LossScaler, type ModelOutputs, type TrainerEvent } from '../src/index.js';
import { crossEntropy, toyBatches, toyModel, type ToyBatch } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Cross entropy, multiplied by 1e36 on the updates listed in `overflowAt` (1-based): loss x scale overflows float32. */
function injectedLoss(overflowAt: number[]) {
  let call = 0;
  return (out: ModelOutputs, b: ToyBatch): tf.Scalar => {
    call++;
    const l = crossEntropy(out, b);
    return overflowAt.includes(call) ? (tf.mul(l, 1e36) as tf.Scalar) : l;
  };
}

function trainer(lossScaler: LossScaler | undefined, loss = crossEntropy as (o: ModelOutputs, b: ToyBatch) => tf.Scalar, events?: TrainerEvent[]) {
  return new Trainer<ToyBatch>({
    model: toyModel(1),
    loss,
    optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }),
    lossScaler,
    progress: 'none',
    onLog: (e) => events?.push(e),
  });
}

const weights = (t: Trainer<ToyBatch>) => t.model.getWeights().flatMap((w) => Array.from(w.dataSync()));
/** Trainable weights only. */
const trainable = (t: Trainer<ToyBatch>) => t.model.trainableWeights.flatMap((w) => Array.from(w.read().dataSync()));

describe('loss scaling', () => {
  it('static scale 1024 (MindSpore recipe) gives the same updates as no scaling: powers of two are exact in float32', async () => {
    const data = toyBatches(6, 8, 3);
    const plain = trainer(undefined);
    const scaled = trainer(new StaticLossScaler({ scale: 1024 }));
    await plain.fit(data, { epochs: 1 });
    await scaled.fit(data, { epochs: 1 });
    const a = weights(plain);
    weights(scaled).forEach((w, i) => expect(w).toBeCloseTo(a[i], 6));
  });

  it('dynamic: an injected overflow skips the update, halves the scale, then grows it after N good steps', async () => {
    const events: TrainerEvent[] = [];
    const scaler = new DynamicLossScaler({ initScale: 2 ** 16, growthInterval: 2 });
    const t = trainer(scaler, injectedLoss([3]), events);
    const data = toyBatches(6, 8, 3);
    await t.fit(data.slice(0, 2), { epochs: 1 }); // 2 good steps: 65536 -> 131072
    expect(scaler.scale).toBe(2 ** 17);
    const before = trainable(t);
    const step3 = await t.trainStep(data[2]); // overflow
    expect(step3).toMatchObject({ skipped: true, lossScale: 2 ** 17 });
    expect(step3.loss).toBe(Infinity);
    expect(trainable(t)).toEqual(before); // update skipped
    expect([scaler.scale, scaler.goodSteps, scaler.skipped]).toEqual([2 ** 16, 0, 1]);
    const step4 = await t.trainStep(data[3]);
    expect(step4.skipped).toBe(false);
    expect(trainable(t)).not.toEqual(before);
    await t.trainStep(data[4]);
    expect(scaler.scale).toBe(2 ** 17); // grew again after 2 good steps
    expect(t.steps).toBe(5);
  });

  it('a skipped (overflowing) step keeps no BatchNorm running statistics from its forward pass, and leaks no tensor', async () => {
    const t = trainer(new DynamicLossScaler({ initScale: 1024 }), injectedLoss([2]));
    const data = toyBatches(3, 8, 3);
    const stats = (m: tf.LayersModel) => m.nonTrainableWeights.flatMap((w) => Array.from(w.read().dataSync()));
    await t.trainStep(data[0]);
    const before = weights(t); // trainable weights and moving mean / variance
    const statsBefore = stats(t.model);
    const n = tf.memory().numTensors;
    expect((await t.trainStep(data[1])).skipped).toBe(true);
    expect(weights(t)).toEqual(before);
    expect(tf.memory().numTensors).toBe(n);
    expect((await t.trainStep(data[2])).skipped).toBe(false);
    expect(stats(t.model)).not.toEqual(statsBefore); // a kept step moves them
  });

  it('the trainer reports skipped steps and keeps them out of the average loss', async () => {
    const events: TrainerEvent[] = [];
    const t = trainer(new DynamicLossScaler({ initScale: 1024 }), injectedLoss([2]), events);
    const { history } = await t.fit(toyBatches(4, 8, 3), { epochs: 1 });
    const steps = events.filter((e) => e.type === 'step') as Extract<TrainerEvent, { type: 'step' }>[];
    expect(steps.map((s) => s.skipped)).toEqual([false, true, false, false]);
    expect(steps.map((s) => s.lossScale)).toEqual([1024, 1024, 512, 512]);
    expect(history[0].skippedSteps).toBe(1);
    const finite = steps.filter((s) => !s.skipped).map((s) => s.loss);
    expect(history[0].avgLoss).toBeCloseTo(finite.reduce((a, b) => a + b) / 3, 6);
  });

  it('static with drop_overflow_update skips the update; without it (the recipe) the NaN reaches the weights and training stops', async () => {
    const data = toyBatches(3, 8, 3);
    const dropping = new StaticLossScaler({ scale: 1024, dropOverflowUpdate: true });
    const t = trainer(dropping, injectedLoss([1]));
    const before = trainable(t);
    expect((await t.trainStep(data[0])).skipped).toBe(true);
    expect(trainable(t)).toEqual(before);
    expect(dropping.skipped).toBe(1);

    const applying = trainer(new StaticLossScaler({ scale: 1024 }), injectedLoss([1]));
    await expect(applying.fit(data, { epochs: 1 })).rejects.toThrow(/loss became (NaN|Infinity) at update 1/);
  });

  it('state round-trips and validates', () => {
    const a = new DynamicLossScaler({ initScale: 8, growthInterval: 3 });
    a.update(false);
    a.update(true);
    a.update(false);
    const b = new DynamicLossScaler({ initScale: 8, growthInterval: 3 });
    b.setState(a.getState());
    expect([b.scale, b.goodSteps, b.skipped]).toEqual([4, 1, 1]);
    expect(() => b.setState(new StaticLossScaler().getState())).toThrow(/'static', expected 'dynamic'/);
    expect(() => new DynamicLossScaler({ backoffFactor: 2 })).toThrow(/backoffFactor/);
  });
});

describe('createLossScaler', () => {
  it('builds none / static / dynamic from the config; --amp forces dynamic', async () => {
    const { createLossScaler } = await import('../src/index.js');
    expect(createLossScaler({ type: 'none' })).toBeUndefined();
    const s = createLossScaler({ type: 'static', scale: 1024 }) as StaticLossScaler;
    expect([s instanceof StaticLossScaler, s.scale, s.checksOverflow]).toEqual([true, 1024, false]);
    const d = createLossScaler({ type: 'static', scale: 1024 }, { amp: true }) as DynamicLossScaler;
    expect([d instanceof DynamicLossScaler, d.scale, d.growthInterval]).toEqual([true, 2 ** 16, 2000]);
    expect(createLossScaler({ type: 'dynamic', scale: 128, growth_interval: 10 })!.scale).toBe(128);
  });
});
