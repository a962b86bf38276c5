import * as tf from '@tensorflow/tfjs';
import type { HrnetConfigInput } from '@hrnet/core';

const stage = (n: number, block: 'BASIC' | 'BOTTLENECK', channels: number[]) => ({
  num_modules: 1,
  num_branches: n,
  block_type: block,
  num_blocks: channels.map(() => 1),
  num_channels: channels,
  fuse_method: 'SUM' as const,
});

/** The tiny HRNet of the fixtures: widths [8, 16, 32, 64], one block everywhere. */
export const TINY_CFG = {
  stem_width: 64,
  stage1: stage(1, 'BOTTLENECK', [8]),
  stage2: stage(2, 'BASIC', [8, 16]),
  stage3: stage(3, 'BASIC', [8, 16, 32]),
  stage4: stage(4, 'BASIC', [8, 16, 32, 64]),
} as HrnetConfigInput;

/** A different architecture: narrower stage 4 and an extra block in stage 3's first branch. */
export const OTHER_CFG = {
  ...TINY_CFG,
  stage3: { ...stage(3, 'BASIC', [8, 16, 32]), num_blocks: [2, 1, 1] },
  stage4: stage(4, 'BASIC', [8, 16, 32, 48]),
} as HrnetConfigInput;

/** Deterministic pseudo-random values in [lo, hi). */
export function pseudoRandom(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = lo + ((s >>> 0) / 2 ** 32) * (hi - lo);
  }
  return out;
}

/** Gives every weight distinct values (positive BN variances), so loads and layouts are observable. */
export function randomizeWeights(model: tf.LayersModel, seed = 1): void {
  model.weights.forEach((w, i) => {
    const n = (w.shape as number[]).reduce((a, b) => a * b, 1);
    const positive = /moving_variance|gamma/.test(w.originalName);
    const values = positive ? pseudoRandom(n, seed * 7919 + i, 0.5, 1.5) : pseudoRandom(n, seed * 7919 + i, -0.3, 0.3);
    tf.tidy(() => {
      w.write(tf.tensor(values, w.shape as number[]));
    });
  });
}

export function snapshot(model: tf.LayersModel): Float32Array[] {
  return model.weights.map((w) => w.read().dataSync() as Float32Array).map((a) => a.slice());
}

export function predictAll(model: tf.LayersModel, input: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const y = model.predict(input);
    return (Array.isArray(y) ? y : [y]).map((t) => t.dataSync() as Float32Array);
  });
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
