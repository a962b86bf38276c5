import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { Collective } from './collective.js';
import { distGradientReducer, syncBatchNorm, type DistContext } from './dist.js';
import type { GradientReducer } from './trainer.js';

/** A rank's data-parallel context as a task's training function receives it; `syncBn`: `--sync_bn`. */
export type DataParallelOptions = DistContext & { syncBn?: boolean };

/** What {@link joinDataParallel} gives the Trainer and the status lines. */
export interface DataParallelJoin {
  /** For the Trainer: averages gradients over the ranks (undefined in a single process). */
  gradientReducer?: GradientReducer;
  /** For the Trainer: only rank 0 logs, evaluates and writes checkpoints. */
  isMain: boolean;
  /** BatchNorm layers whose statistics are synchronized across the ranks (0 without `syncBn`). */
  syncBnLayers: number;
  /** {@link weightsDigest} right after the broadcast: the same on every rank (undefined in a single process). */
  startDigest?: string;
}

const sizeOf = (w: tf.LayerVariable) => w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);

/**
 * Gives every rank rank 0's weights (all of them: BatchNorm statistics too), so the replicas start identical
 * whatever initialisation or checkpoint each loaded: one broadcast of the concatenated weights.
 */
export async function broadcastWeightsFromRank0(model: tf.LayersModel, comm: Collective): Promise<void> {
  if (comm.worldSize === 1) return;
  const weights = model.weights;
  const sizes = weights.map(sizeOf);
  const flat = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  if (comm.rank === 0) {
    const values = await Promise.all(weights.map((w) => w.read().data() as Promise<Float32Array>));
    let off = 0;
    values.forEach((v) => {
      flat.set(v, off);
      off += v.length;
    });
  }
  const out = comm.broadcast(flat, 0);
  let off = 0;
  weights.forEach((w, i) => {
    const t = tf.tensor(out.subarray(off, off + sizes[i]), w.shape as number[], 'float32');
    w.write(t);
    t.dispose();
    off += sizes[i];
  });
}

/** SHA-256 of every weight's bytes in model order: equal digests mean bit-identical replicas. */
export async function weightsDigest(model: tf.LayersModel): Promise<string> {
  const hash = createHash('sha256');
  for (const w of model.weights) {
    const v = await w.read().data();
    hash.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return hash.digest('hex');
}

/**
 * Makes `model` one replica of a data-parallel run, for any task and any {@link Collective}: rank 0's
 * weights everywhere, synchronized BatchNorm when asked, and the Trainer options (`gradientReducer`,
 * `isMain`). Call it after the model is built and any weights are loaded, before training. Without a
 * context (or with one rank) it changes nothing.
 */
export async function joinDataParallel(model: tf.LayersModel, dist?: DataParallelOptions): Promise<DataParallelJoin> {
  if (!dist || dist.worldSize === 1) return { isMain: true, syncBnLayers: 0 };
  await broadcastWeightsFromRank0(model, dist.comm);
  return {
    gradientReducer: distGradientReducer(dist.comm),
    isMain: dist.rank === 0,
    syncBnLayers: dist.syncBn ? syncBatchNorm(model, dist.comm) : 0,
    startDigest: await weightsDigest(model),
  };
}
