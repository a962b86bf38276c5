import * as tf from '@tensorflow/tfjs';
import { checkShard, createRng, mixSeed, permutation, shardBatches, type ShardSpec } from '@hrnet/core';
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
  /** Data-parallel rank: this rank's slice of every global batch of `batchSize` (same order on every rank). */
  shard?: ShardSpec;
  /**
   * A sample whose files cannot be used (undecodable, label size ≠ image size, a label id outside the table):
   * without this the error (naming the file) ends the iteration; with it the sample is passed here and left out
   * of its batch (a batch left empty is not yielded).
   */
  onBadSample?: (sample: CityscapesSample, error: Error) => void;
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
  const { batchSize, augment, seed = 0, shard, onBadSample } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`cityscapesBatches: batchSize must be a positive integer, got ${batchSize}`);
  if (shard) checkShard(shard, 'cityscapesBatches');
  const shuffle = opts.shuffle ?? !!augment;
  const dropLast = opts.dropLast ?? !!augment;
  const order = shuffle ? permutation(samples.length, createRng(mixSeed(seed, epoch))) : Int32Array.from(samples.keys());
  for (const idx of shardBatches(order, batchSize, { shard, dropLast })) {
    const items = await Promise.all(
      Array.from(idx, async (i) => {
        const s = samples[i];
        if (!s.label) throw new Error(`${s.image}: no label file (a test-list sample cannot be batched for training or evaluation)`);
        let d;
        try {
          d = await readSample(s);
        } catch (err) {
          if (!onBadSample) throw err;
          onBadSample(s, err as Error);
          return undefined;
        }
        const seg = augment ? trainAugment(d.image, d.label!, augment, createRng(mixSeed(seed, epoch, i))) : evalSample(d.image, d.label!);
        return { ...seg, name: s.name };
      }),
    );
    const good = items.filter((x) => x !== undefined);
    if (good.length > 0) yield assemble(good);
  }
}
