import * as tf from '@tensorflow/tfjs';
import { PassThrough } from 'node:stream';
import { BatchNorm2d } from '@hrnet/core';

export interface ToyBatch {
  images: Float32Array;
  labels: Int32Array;
  shape: [number, number, number, number];
}

/**
 * A separable 2-class toy problem as 4x4x1 "images": class 1 images are brighter on the left half.
 * Deterministic for a seed.
 */
export function toyBatches(numBatches: number, batchSize: number, seed: number): ToyBatch[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: numBatches }, () => {
    const images = new Float32Array(batchSize * 16);
    const labels = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      labels[i] = rand() < 0.5 ? 0 : 1;
      for (let p = 0; p < 16; p++) {
        const left = p % 4 < 2;
        images[i * 16 + p] = rand() - 0.5 + (left ? (labels[i] ? 1 : -1) : 0);
      }
    }
    return { images, labels, shape: [batchSize, 4, 4, 1] };
  });
}

/** conv -> batch norm -> relu -> global pool -> dense(2): small, but exercises BN running stats. */
export function toyModel(seed = 1, classes = 2): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 1] });
  let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

export const crossEntropy = (outputs: tf.Tensor | tf.Tensor[], batch: ToyBatch): tf.Scalar =>
  tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(batch.labels, 'int32'), 2), outputs as tf.Tensor) as tf.Scalar;

export const accuracy = (outputs: tf.Tensor | tf.Tensor[], batch: ToyBatch): tf.Scalar =>
  tf.mean(tf.cast(tf.equal(tf.argMax(outputs as tf.Tensor, 1), tf.tensor1d(batch.labels, 'int32')), 'float32')) as tf.Scalar;

/** A writable that collects what is written; `isTTY` as asked. */
export function captureStream(isTTY: boolean): PassThrough & { isTTY: boolean; columns: number; text(): string } {
  const chunks: string[] = [];
  const s = new PassThrough() as PassThrough & { isTTY: boolean; columns: number; text(): string };
  s.isTTY = isTTY;
  s.columns = 160;
  s.on('data', (c) => chunks.push(String(c)));
  s.text = () => chunks.join('');
  return s;
}

/** conv -> (@hrnet/core BatchNorm2d) -> relu -> global pool -> dense(2), seeded: the data-parallel test model. */
export function distToyModel(bn: boolean): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 1] });
  let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  if (bn) y = new BatchNorm2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

/** Rank `rank`'s contiguous slice of a batch (as BatchLoader's `shard`). */
export function shardOf(b: ToyBatch, rank: number, worldSize: number): ToyBatch {
  const n = b.shape[0];
  const lo = Math.floor((rank * n) / worldSize);
  const hi = Math.floor(((rank + 1) * n) / worldSize);
  const per = b.shape[1] * b.shape[2] * b.shape[3];
  return { images: b.images.slice(lo * per, hi * per), labels: b.labels.slice(lo, hi), shape: [hi - lo, b.shape[1], b.shape[2], b.shape[3]] };
}
