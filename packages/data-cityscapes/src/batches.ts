import * as tf from '@tensorflow/tfjs';
import { createRng, mixSeed, permutation } from '@hrnet/core';
import { readSample } from './decode.js';
import type { CityscapesSample } from './layout.js';
import { evalSample, trainAugment, type SegSample, type TrainAugOptions } from './transforms.js';

/** A batch as @hrnet/heads' segmentation task reads it: normalized NHWC images, int32 train ids [N, H, W]. */
export interface CityscapesBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
  names: string[];
}

export interface BatchOptions {
  batchSize: number;
  /** Training augmentation; without it, whole images (all of one size within a batch). */
  augment?: TrainAugOptions;
  /** Shuffle the order every epoch (seeded). Default: true with `augment`, else false. */
  shuffle?: boolean;
  /** Drop a last incomplete batch. Default: true with `augment`. */
  dropLast?: boolean;
  seed?: number;
}

function assemble(items: Array<SegSample & { name: string }>): CityscapesBatch {
  const { height: h, width: w } = items[0];
  const bad = items.find((s) => s.height !== h || s.width !== w);
  if (bad) throw new Error(`${bad.name}: ${bad.width}x${bad.height} differs from ${items[0].name} (${w}x${h}) in one batch; evaluate with batchSize 1 or one size`);
  const images = new Float32Array(items.length * h * w * 3);
  const labels = new Int32Array(items.length * h * w);
  items.forEach((s, i) => {
    images.set(s.image, i * h * w * 3);
    labels.set(s.label, i * h * w);
  });
  return {
    images: tf.tensor4d(images, [items.length, h, w, 3]),
    labels: tf.tensor3d(labels, [items.length, h, w], 'int32'),
    names: items.map((s) => s.name),
  };
}

/**
 * Batches of one epoch: files decoded in parallel within a batch, each sample augmented with its own seeded
 * generator (seed, epoch, index), so an epoch is reproducible whatever the decode order. The caller disposes
 * each batch's tensors.
 */
export async function* cityscapesBatches(samples: CityscapesSample[], epoch: number, opts: BatchOptions): AsyncGenerator<CityscapesBatch> {
  const { batchSize, augment, seed = 0 } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`cityscapesBatches: batchSize must be a positive integer, got ${batchSize}`);
  const shuffle = opts.shuffle ?? !!augment;
  const dropLast = opts.dropLast ?? !!augment;
  const order = shuffle ? Array.from(permutation(samples.length, createRng(mixSeed(seed, epoch)))) : samples.map((_, i) => i);
  for (let start = 0; start < order.length; start += batchSize) {
    const idx = order.slice(start, start + batchSize);
    if (idx.length < batchSize && dropLast) break;
    const items = await Promise.all(
      idx.map(async (i) => {
        const s = samples[i];
        if (!s.label) throw new Error(`${s.image}: no label file (a test-list sample cannot be batched for training or evaluation)`);
        const d = await readSample(s);
        const seg = augment ? trainAugment(d.image, d.label!, augment, createRng(mixSeed(seed, epoch, i))) : evalSample(d.image, d.label!);
        return { ...seg, name: s.name };
      }),
    );
    yield assemble(items);
  }
}
