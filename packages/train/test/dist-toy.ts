/** The toy data-parallel run every collective backend's tests train: this rank's slices of fixed global batches. */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { joinDataParallel, SGD, Trainer, type DistContext } from '../src/index.js';
import { crossEntropy, distToyModel, shardOf, toyBatches, type ToyBatch } from './helpers.js';

export interface FixtureData {
  bn: boolean;
  sync: boolean;
  steps: number;
  batch: number;
  /** Give each rank other initial weights before joining (the broadcast must make them equal). */
  perturb?: boolean;
  /** Hash the weights after every step (synchronous reads: not on webgpu). */
  digests?: boolean;
}

export interface RankResult {
  rank: number;
  converted: number;
  losses: number[];
  weights: number[][];
  before?: string;
  startDigest?: string;
  digests?: string[];
}

/** SHA-256 of the weights, read synchronously (inside a step callback, before the next update). */
function digestNow(model: tf.LayersModel): string {
  const hash = createHash('sha256');
  for (const w of model.weights) hash.update(new Uint8Array((w.read().dataSync() as Float32Array).buffer));
  return hash.digest('hex');
}

/** Trains the toy model on the current backend; `ctx` undefined: one process on the whole batches. */
export async function trainToy(ctx: DistContext | undefined, data: FixtureData): Promise<RankResult> {
  const { bn, sync, steps, batch, perturb, digests: hashSteps = true } = data;
  const rank = ctx?.rank ?? 0;
  const model = distToyModel(bn);
  if (perturb) model.weights.forEach((w) => w.write(tf.tidy(() => w.read().add(rank))));
  const before = hashSteps ? digestNow(model) : undefined;
  const { gradientReducer, isMain, syncBnLayers: converted, startDigest } = await joinDataParallel(model, ctx && { ...ctx, syncBn: sync });
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
      if (hashSteps) digests.push(digestNow(model));
    },
  });
  const batches = toyBatches(steps, batch, 21).map((b) => (ctx ? shardOf(b, ctx.rank, ctx.worldSize) : b));
  await trainer.fit(batches, { epochs: 1 });
  const weights = await Promise.all(model.weights.map(async (w) => Array.from(await w.read().data())));
  return { rank, converted, losses, weights, before, startDigest, digests };
}
