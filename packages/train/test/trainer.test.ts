import * as tf from '@tensorflow/tfjs';
import type { Task } from '@hrnet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cosineSchedule, SGD, Trainer, type DataSource, type TrainerEvent } from '../src/index.js';
import { accuracy, captureStream, crossEntropy, toyBatches, toyModel, type ToyBatch } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Records the `training` flag it is called with. */
class TrainingProbe extends tf.layers.Layer {
  static className = 'TrainingProbe';
  seen: (boolean | undefined)[] = [];
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    this.seen.push(kwargs?.training);
    return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 1);
  }
}

describe('Trainer', () => {
  it('learns a toy problem: loss falls, val accuracy is high, one log line per epoch', async () => {
    const train = toyBatches(8, 16, 1);
    const val = toyBatches(2, 32, 2);
    const stream = captureStream(false);
    const trainer = new Trainer<ToyBatch>({
      model: toyModel(),
      loss: crossEntropy,
      optimizer: new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
      metrics: { acc: accuracy },
      stream,
    });
    const { history, steps, stoppedBy } = await trainer.fit(train, { epochs: 4, valData: val });
    expect([steps, stoppedBy, history.length]).toEqual([32, 'epochs', 4]);
    expect(history[3].avgLoss).toBeLessThan(history[0].avgLoss);
    expect(history[3].val!.metrics.acc).toBeGreaterThan(0.9);
    expect(history[3].val!.samples).toBe(64);
    const lines = stream.text().trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^epoch: \[1\/4\], epoch time: \d+\.\d{3}, steps: 8, per step time: \d+\.\d{3}, avg loss: \d\.\d{5}, lr:\[0\.100000\], img\/s: \d+\.\d, data wait: \d+\.\d%, val loss: \d\.\d{4}, val acc: \d\.\d{4}$/,
    );
  });

  it('trains a Task exactly as the same model, loss, inputs and metrics given one by one, and logs its loss terms', async () => {
    const train = toyBatches(4, 8, 7);
    const val = toyBatches(1, 16, 8);
    const run = async (useTask: boolean) => {
      const model = toyModel(3);
      const optimizer = new SGD({ learningRate: 0.1, momentum: 0.9 });
      const inputs = (b: ToyBatch) => tf.tensor4d(b.images, b.shape);
      const task: Task<ToyBatch> = {
        name: 'toy',
        model,
        inputs,
        loss: (outputs, b) => {
          const total = crossEntropy(outputs[0], b);
          return { total, terms: { ce: total, half: tf.mul(total, 0.5) as tf.Scalar } };
        },
        metrics: { acc: (outputs, b) => accuracy(outputs[0], b) },
      };
      const events: TrainerEvent[] = [];
      const counts: number[] = [];
      const onLog = (e: TrainerEvent) => {
        events.push(e);
        if (e.type === 'step') counts.push(tf.memory().numTensors);
      };
      const trainer = useTask
        ? new Trainer<ToyBatch>({ task, optimizer, progress: 'none', onLog })
        : new Trainer<ToyBatch>({ model, loss: crossEntropy, inputs, metrics: { acc: accuracy }, optimizer, progress: 'none', onLog });
      const { history } = await trainer.fit(train, { epochs: 2, valData: val });
      const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      optimizer.dispose();
      return { losses: history.map((h) => [h.avgLoss, h.val!.loss, h.val!.metrics.acc]), weights, events, counts, history };
    };
    const viaTask = await run(true);
    const direct = await run(false);
    expect(viaTask.losses.flat().every(Number.isFinite)).toBe(true);
    expect(viaTask.losses).toEqual(direct.losses);
    expect(viaTask.weights).toEqual(direct.weights);
    // Every step event carries the terms (the loss itself and half of it here); epochs their means; no tensor is left behind.
    const steps = viaTask.events.filter((e): e is Extract<TrainerEvent, { type: 'step' }> => e.type === 'step');
    expect(steps).toHaveLength(8);
    for (const e of steps) {
      expect(e.terms!.ce).toBe(e.loss);
      expect(e.terms!.half).toBeCloseTo(e.loss / 2, 6);
    }
    expect(viaTask.history[1].avgTerms!.ce).toBeCloseTo(viaTask.history[1].avgLoss, 12);
    expect(direct.events.some((e) => e.type === 'step' && e.terms)).toBe(false);
    expect(new Set(viaTask.counts.slice(1)).size).toBe(1);
  });

  it('every step is tidy: the tensor count does not grow over many steps and evaluations', async () => {
    const model = toyModel();
    const counts: number[] = [];
    const trainer = new Trainer<ToyBatch>({
      model,
      loss: crossEntropy,
      optimizer: new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }),
      metrics: { acc: accuracy },
      lrSchedule: cosineSchedule({ baseLr: 0.05, totalSteps: 60, warmupSteps: 5 }),
      progress: 'none',
      onLog: (e) => e.type === 'step' && counts.push(tf.memory().numTensors),
    });
    await trainer.fit(toyBatches(20, 8, 3), { epochs: 3, valData: toyBatches(2, 8, 4) });
    expect(counts).toHaveLength(60);
    // After the first update created the momentum buffers, nothing accumulates.
    expect(new Set(counts.slice(1)).size).toBe(1);
    const after = tf.memory().numTensors;
    await trainer.evaluate(toyBatches(3, 8, 5));
    expect(tf.memory().numTensors).toBe(after);
  });

  it('one step is exactly loss -> gradients -> optimizer update (hand-computed)', async () => {
    // y = w . x with w = [1, 2]; loss = mean((y - t)^2) on one sample x = [1, 1], t = 0:
    // y = 3, dL/dw = 2 * (y - t) * x = [6, 6]; SGD lr 0.1 -> w = [0.4, 1.4]
    const input = tf.input({ shape: [2] });
    const dense = tf.layers.dense({ units: 1, useBias: false, weights: [tf.tensor2d([[1], [2]])] });
    const model = tf.model({ inputs: input, outputs: dense.apply(input) as tf.SymbolicTensor });
    type B = { x: number[]; t: number };
    const trainer = new Trainer<B>({
      model,
      optimizer: new SGD({ learningRate: 0.1 }),
      inputs: (b) => tf.tensor2d([b.x]),
      loss: (out, b) => tf.losses.meanSquaredError(tf.tensor2d([[b.t]]), out as tf.Tensor) as tf.Scalar,
      progress: 'none',
    });
    const r = await trainer.trainStep({ x: [1, 1], t: 0 });
    expect(r.loss).toBeCloseTo(9, 6);
    expect(r.batchSize).toBe(1);
    expect(Array.from(dense.getWeights()[0].dataSync())).toEqual([expect.closeTo(0.4, 6), expect.closeTo(1.4, 6)]);
    expect(trainer.steps).toBe(1);
  });

  it('applies the model with training: true in fit and training: false in evaluation', async () => {
    const probe = new TrainingProbe({});
    const input = tf.input({ shape: [4, 4, 1] });
    const flat = tf.layers.flatten().apply(probe.apply(input)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(flat) as tf.SymbolicTensor });
    const trainer = new Trainer<ToyBatch>({ model, loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01 }), progress: 'none' });
    await trainer.fit(toyBatches(2, 4, 1), { epochs: 1, valData: toyBatches(1, 4, 2) });
    expect(probe.seen).toEqual([true, true, false]);
  });

  it('sets the learning rate from the schedule before every update, also on tf.train optimizers', async () => {
    const schedule = cosineSchedule({ baseLr: 0.1, totalSteps: 6, warmupSteps: 2, warmupLr: 0.02 });
    for (const optimizer of [new SGD({ learningRate: 1 }), tf.train.momentum(1, 0.9), tf.train.adam(1)]) {
      const lrs: number[] = [];
      const trainer = new Trainer<ToyBatch>({
        model: toyModel(),
        loss: crossEntropy,
        optimizer,
        lrSchedule: schedule,
        progress: 'none',
        onLog: (e) => e.type === 'step' && lrs.push(e.lr),
      });
      await trainer.fit(toyBatches(3, 4, 1), { epochs: 2 });
      lrs.forEach((lr, i) => expect(lr).toBeCloseTo(schedule(i), 10));
      expect(lrs).toHaveLength(6);
    }
  });

  it('stops after maxSteps mid-epoch, still logging and evaluating that epoch', async () => {
    const events: TrainerEvent[] = [];
    const trainer = new Trainer<ToyBatch>({ model: toyModel(), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01 }), progress: 'none', onLog: (e) => events.push(e) });
    const r = await trainer.fit(toyBatches(4, 4, 1), { epochs: 5, maxSteps: 6, valData: toyBatches(1, 4, 2) });
    expect([r.steps, r.stoppedBy, r.history.map((h) => h.steps)]).toEqual([6, 'maxSteps', [4, 2]]);
    expect(events.filter((e) => e.type === 'eval')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'step').map((e) => (e as { globalStep: number }).globalStep)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('asks a DataSource for each epoch by number and resumes from initialEpoch', async () => {
    const asked: number[] = [];
    const data: DataSource<ToyBatch> = {
      length: 2,
      async *batches(epoch) {
        asked.push(epoch);
        yield* toyBatches(2, 4, epoch + 1);
      },
    };
    const trainer = new Trainer<ToyBatch>({ model: toyModel(), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01 }), progress: 'none' });
    const r = await trainer.fit(data, { epochs: 4, initialEpoch: 1 });
    expect(asked).toEqual([1, 2, 3]);
    expect(r.history.map((h) => h.epoch)).toEqual([2, 3, 4]);
  });

  it('averages evaluation loss and metrics per sample across uneven batches', async () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const model = tf.model({ inputs: input, outputs: tf.layers.globalAveragePooling2d({}).apply(input) as tf.SymbolicTensor });
    // "loss" = mean of the batch's first pixel values, so the expected average is easy: batch of 1 with 3, batch of 3 with 1s.
    const batch = (n: number, v: number): ToyBatch => ({ images: new Float32Array(n * 16).fill(v), labels: new Int32Array(n), shape: [n, 4, 4, 1] });
    const trainer = new Trainer<ToyBatch>({
      model,
      loss: (out) => tf.mean(out as tf.Tensor) as tf.Scalar,
      metrics: { twice: (out) => tf.mul(tf.mean(out as tf.Tensor), 2) as tf.Scalar },
      optimizer: new SGD({ learningRate: 0 }),
      progress: 'none',
    });
    const r = await trainer.evaluate([batch(1, 3), batch(3, 1)]);
    expect(r.samples).toBe(4);
    expect(r.loss).toBeCloseTo(1.5, 6); // (3 * 1 + 1 * 3) / 4
    expect(r.metrics.twice).toBeCloseTo(3, 6);
  });

  it('writes every event as JSONL to metricsLog and reports the time spent waiting for data', async () => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'hrnet-train-jsonl-'));
    const file = join(dir, 'sub', 'metrics.jsonl');
    const slow: DataSource<ToyBatch> = {
      length: 2,
      async *batches() {
        for (const b of toyBatches(2, 4, 1)) {
          await new Promise((r) => setTimeout(r, 30));
          yield b;
        }
      },
    };
    const trainer = new Trainer<ToyBatch>({ model: toyModel(), loss: crossEntropy, metrics: { acc: accuracy }, optimizer: new SGD({ learningRate: 0.01 }), progress: 'none' });
    const { history } = await trainer.fit(slow, { epochs: 2, valData: toyBatches(1, 4, 2), metricsLog: file });
    const records = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => r.type)).toEqual(['step', 'step', 'eval', 'epoch', 'step', 'step', 'eval', 'epoch']);
    expect(records[0]).toMatchObject({ epoch: 1, step: 1, globalStep: 1, lr: 0.01 });
    expect(records[2]).toMatchObject({ epoch: 1, samples: 4 });
    expect(records[2].metrics.acc).toBeGreaterThanOrEqual(0);
    expect(typeof records[0].time).toBe('string');
    expect(records[0].dataWaitMs).toBeGreaterThan(20);
    expect(history[0].dataWaitMs).toBeGreaterThan(50);
    await rm(dir, { recursive: true, force: true });
  });

  it('draws a cli-progress bar on a TTY, then the epoch line', async () => {
    const stream = captureStream(true);
    const trainer = new Trainer<ToyBatch>({ model: toyModel(), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01 }), stream });
    await trainer.fit(toyBatches(3, 4, 1), { epochs: 1 });
    const text = stream.text();
    expect(text).toMatch(/epoch 1\/1 \|.*\| \d\/3 steps \| loss [\d.]+ \| lr 0\.010000 \| [\d.]+ img\/s \| ETA/);
    expect(text).toMatch(/epoch: \[1\/1\], epoch time: [\d.]+, steps: 3,/);
  });

  it('reports bad batches, non-finite losses and empty data clearly', async () => {
    const trainer = new Trainer<unknown>({ model: toyModel(), loss: () => tf.scalar(0), optimizer: new SGD({ learningRate: 0.01 }), progress: 'none' });
    await expect(trainer.trainStep({ pixels: [] })).rejects.toThrow(/images: Float32Array, shape.*or pass `inputs`/);
    const nan = new Trainer<ToyBatch>({ model: toyModel(), loss: (out) => tf.mul(tf.sum(out as tf.Tensor), NaN) as tf.Scalar, optimizer: new SGD({ learningRate: 0.01 }), progress: 'none' });
    await expect(nan.fit(toyBatches(1, 2, 1), { epochs: 1 })).rejects.toThrow(/loss became NaN at update 1/);
    const ok = new Trainer<ToyBatch>({ model: toyModel(), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01 }), progress: 'none' });
    await expect(ok.fit([], { epochs: 1 })).rejects.toThrow(/no batches/);
    await expect(ok.fit(toyBatches(1, 2, 1), { epochs: 0 })).rejects.toThrow(/epochs/);
    await expect(ok.evaluate([])).rejects.toThrow(/no samples/);
  });
});
