/** Worker module for dist.test.ts: trains the toy model on this rank's slices of fixed global batches. */
import * as tf from '@tensorflow/tfjs';
import { distGradientReducer, runDataParallelWorker, SGD, syncBatchNorm, Trainer } from '../src/index.js';
import { crossEntropy, distToyModel, shardOf, toyBatches, type ToyBatch } from './helpers.js';

export interface FixtureData {
  bn: boolean;
  sync: boolean;
  steps: number;
  batch: number;
}

runDataParallelWorker(async ({ rank, worldSize, comm, data }) => {
  const { bn, sync, steps, batch } = data as FixtureData;
  await tf.setBackend('cpu');
  const model = distToyModel(bn);
  const converted = sync ? syncBatchNorm(model, comm) : 0;
  const losses: number[] = [];
  const trainer = new Trainer<ToyBatch>({
    model,
    loss: crossEntropy,
    optimizer: new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
    gradientReducer: distGradientReducer(comm),
    isMain: rank === 0,
    progress: 'none',
    onLog: (e) => e.type === 'step' && losses.push(e.loss),
  });
  const shards = toyBatches(steps, batch, 21).map((b) => shardOf(b, rank, worldSize));
  await trainer.fit(shards, { epochs: 1 });
  return { converted, losses, weights: model.getWeights().map((w) => Array.from(w.dataSync())) };
});
