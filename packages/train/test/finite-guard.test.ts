import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, CheckpointManager, encodeCheckpoint, SGD, Trainer, TrainingDivergedError, type ModelOutputs } from '../src/index.js';
import { accuracy, crossEntropy, distToyModel, toyBatches, type ToyBatch } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hrnet-finite-'));
  dirs.push(d);
  return d;
}

/** Images scaled by 1e20: BatchNorm's batch variance (~1e40) overflows float32, yet the normalised output and the loss stay finite. */
const hugeBatches = (n: number) => toyBatches(n, 8, 5).map((b) => ({ ...b, images: b.images.map((v) => v * 1e20) }));

describe('finite-state guard', () => {
  it('a run whose BatchNorm statistics overflow while the loss stays finite stops with one line naming the variable, and writes no checkpoint', async () => {
    const dir = await tempDir();
    const losses: number[] = [];
    const trainer = new Trainer<ToyBatch>({
      model: distToyModel(true),
      loss: crossEntropy,
      optimizer: new SGD({ learningRate: 0.01 }),
      metrics: { acc: accuracy },
      progress: 'none',
      onLog: (e) => e.type === 'step' && losses.push(e.loss),
    });
    const run = trainer.fit(hugeBatches(4), { epochs: 2, valData: hugeBatches(1), checkpoint: new CheckpointManager({ dir, bestMetric: 'acc' }) });
    await expect(run).rejects.toThrow(TrainingDivergedError);
    await expect(run).rejects.toThrow(/^training diverged: \d+ of 4 values of '.*moving_(mean|variance)' are not finite after update 1; nothing of this state was saved/);
    expect(losses.every(Number.isFinite)).toBe(true); // the loss check alone would never have fired
    expect(await readdir(dir)).toEqual([]);
  });

  it('lr 1e8 (the issue: "done … top-1 25%" with non-finite weights) ends in TrainingDivergedError, never in a saved checkpoint', async () => {
    const dir = await tempDir();
    const trainer = new Trainer<ToyBatch>({
      model: distToyModel(true),
      loss: crossEntropy,
      optimizer: new SGD({ learningRate: 1e8, momentum: 0.9 }),
      metrics: { acc: accuracy },
      progress: 'none',
    });
    await expect(trainer.fit(toyBatches(8, 8, 1), { epochs: 10, valData: toyBatches(2, 8, 2), checkpoint: { dir, bestMetric: 'acc' } })).rejects.toThrow(TrainingDivergedError);
    for (const f of await readdir(dir)) expect(f).not.toMatch(/\.safetensors$/);
  });

  it('checks every N updates when asked, and always before a checkpoint', async () => {
    const dir = await tempDir();
    const trainer = new Trainer<ToyBatch>({ model: distToyModel(true), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01 }), progress: 'none', finiteCheckEvery: 100 });
    await expect(trainer.fit(hugeBatches(3), { epochs: 1, checkpoint: { dir } })).rejects.toThrow(/after update 3 \(before saving the epoch 1 checkpoint\)/);
    expect(await readdir(dir)).toEqual([]);
    expect(() => new Trainer<ToyBatch>({ model: distToyModel(true), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01 }), finiteCheckEvery: 0 })).toThrow(/finiteCheckEvery/);
  });

  it('encodeCheckpoint refuses non-finite weights (the backstop for callers that save on their own)', async () => {
    const model = distToyModel(true);
    const w = model.weights[0];
    w.write(tf.fill(w.read().shape, NaN));
    await expect(encodeCheckpoint({ model, optimizer: new SGD({ learningRate: 0.1 }), meta: { epoch: 1, globalStep: 1 } })).rejects.toThrow(CheckpointError);
    await expect(encodeCheckpoint({ model, meta: { epoch: 1, globalStep: 1 } })).rejects.toThrow(/refusing to write a checkpoint: weight '.*' holds non-finite values/);
  });

  it('the guard is tidy: no tensor is left behind per step', async () => {
    const model = distToyModel(true);
    const trainer = new Trainer<ToyBatch>({ model, loss: crossEntropy as (o: ModelOutputs, b: ToyBatch) => tf.Scalar, optimizer: new SGD({ learningRate: 0.05 }), progress: 'none' });
    const data = toyBatches(6, 8, 3);
    await trainer.trainStep(data[0]);
    const n = tf.memory().numTensors;
    for (const b of data.slice(1)) await trainer.trainStep(b);
    expect(tf.memory().numTensors).toBe(n);
  });
});
