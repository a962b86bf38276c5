import * as tf from '@tensorflow/tfjs';
import { sumTensors } from './sum-tensors.js';

/**
 * Training diverged: the loss or a weight / BatchNorm statistic is no longer finite. Nothing from that
 * state was written: the Trainer checks before every checkpoint.
 */
export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

/** 0 when every element of every tensor is finite, NaN otherwise (inf·0 = NaN, NaN·0 = NaN): one fused pass, one number read back. */
export function nonFiniteProbe(ts: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => sumTensors(ts.map((t) => tf.sum(tf.mul(t, 0)))) as tf.Scalar);
}

/** The first variable holding a non-finite value, with how many it holds (undefined when all are finite). */
export async function firstNonFinite(weights: readonly tf.LayerVariable[]): Promise<{ name: string; count: number; size: number } | undefined> {
  const floats = weights.filter((w) => w.dtype === 'float32');
  const probe = nonFiniteProbe(floats.map((w) => w.read()));
  const ok = Number.isFinite((await probe.data())[0]);
  probe.dispose();
  if (ok) return undefined;
  // Only on the failure path: find and count the culprit.
  for (const w of floats) {
    const data = (await w.read().data()) as Float32Array;
    let count = 0;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) count++;
    if (count) return { name: w.name, count, size: data.length };
  }
  return undefined;
}
