/** Worker module for dist.test.ts: trains the toy model on this rank's slices of fixed global batches. */
import * as tf from '@tensorflow/tfjs';
import { joinDataParallel, runDataParallelWorker, SGD, Trainer, weightsDigest } from '../src/index.js';
import { crossEntropy, distToyModel, shardOf, toyBatches, type ToyBatch } from './helpers.js';

export interface FixtureData {
  bn: boolean;
  sync: boolean;
  steps: number;
  batch: number;
  /** Give each rank other initial weights before joining (the broadcast must make them equal). */
  perturb?: boolean;
}

runDataParallelWorker(async (ctx) => {
  const { bn, sync, steps, batch, perturb } = ctx.data as FixtureData;
  await tf.setBackend('cpu');
  const model = distToyModel(bn);
  if (perturb) model.weights.forEach((w) => w.write(tf.tidy(() => w.read().add(ctx.rank))));
  const before = weightsDigest(model);
  const { gradientReducer, isMain, syncBnLayers: converted, startDigest } = joinDataParallel(model, { ...ctx, syncBn: sync });
  const losses: number[] = [];
  const digests: string[] = [];
  const trainer = new Trainer<ToyBatch>({
    model,
    loss: crossEntropy,
    optimizer: new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
    gradientReducer,
    isMain,
    progress: 'none',
    onLog: (e) => {
      if (e.type !== 'step') return;
      losses.push(e.loss);
      digests.push(weightsDigest(model));
    },
  });
  const shards = toyBatches(steps, batch, 21).map((b) => shardOf(b, ctx.rank, ctx.worldSize));
  await trainer.fit(shards, { epochs: 1 });
  return { converted, losses, weights: model.getWeights().map((w) => Array.from(w.dataSync())), before, startDigest, digests };
});
