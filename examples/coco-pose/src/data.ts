import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CocoKeypointsTrainSet,
  createRng,
  generateSyntheticCocoKeypoints,
  mixSeed,
  shuffledIndices,
  type KeypointBatch,
  type SampleExecutor,
  type SyntheticCocoResult,
} from '@hrnet/data-coco';
import { shardBatches, type ShardSpec } from '@hrnet/core';
import type { DataSource } from '@hrnet/train';
import { pipelineConfig, poseCodec, type PoseConfig } from './config.js';

/** COCO split name → the generator's split ('train2017' → 'train'). */
function syntheticSplit(split: string): string {
  const m = /^(.+)2017$/.exec(split);
  if (!m) throw new Error(`the generated dataset names its splits <name>2017; DATASET.TRAIN / DATASET.TEST is '${split}'`);
  return m[1];
}

/**
 * Writes the generated COCO-format dataset of `DATASET.SYNTHETIC` under `root` (HigherHRNet's layout:
 * `annotations/person_keypoints_<split>.json`, `images/<split>/<id>.jpg`) for DATASET.TRAIN and DATASET.TEST. The
 * images depend only on (SYNTHETIC.SEED, split, index), so regenerating a split gives the same files.
 */
export async function generateSyntheticDataset(
  cfg: PoseConfig,
  root: string,
  { splits = ['train', 'val'] }: { splits?: ('train' | 'val')[] } = {},
): Promise<{ train?: SyntheticCocoResult; val?: SyntheticCocoResult }> {
  const s = cfg.DATASET.SYNTHETIC;
  const common = {
    size: s.IMAGE_SIZE,
    peoplePerImage: s.PEOPLE_PER_IMAGE,
    seed: s.SEED,
    crowdProbability: s.CROWD_PROBABILITY,
    zeroKeypointProbability: s.ZERO_KEYPOINT_PROBABILITY,
    occlusionProbability: s.OCCLUSION_PROBABILITY,
    partialProbability: s.PARTIAL_PROBABILITY,
  };
  const out: { train?: SyntheticCocoResult; val?: SyntheticCocoResult } = {};
  if (splits.includes('train')) out.train = await generateSyntheticCocoKeypoints(root, { ...common, split: syntheticSplit(cfg.DATASET.TRAIN), images: s.TRAIN_IMAGES });
  if (splits.includes('val')) out.val = await generateSyntheticCocoKeypoints(root, { ...common, split: syntheticSplit(cfg.DATASET.TEST), images: s.VAL_IMAGES });
  return out;
}

/** `<root>/annotations/person_keypoints_<split>.json`. */
export function annotationFile(root: string, split: string): string {
  return join(root, 'annotations', `person_keypoints_${split}.json`);
}

/** Throws a readable error when `root` does not hold the split's annotation file. */
export async function checkDataRoot(root: string, split: string): Promise<void> {
  const file = annotationFile(root, split);
  try {
    await access(file);
  } catch {
    throw new Error(`--datadir ${root}: no ${file} (expected COCO's layout: annotations/person_keypoints_${split}.json and images/${split}/ or ${split}/)`);
  }
}


/**
 * The training set of DATASET.TRAIN as a `@hrnet/train` data source of channels-last batches of
 * TRAIN.IMAGES_PER_GPU images. With a shard (`--dist N`), the global batch is IMAGES_PER_GPU x N images (as with
 * N GPUs in the official code) and this rank gets its slice of each one; the order and every sample's augmentation
 * are those `CocoKeypointsTrainSet.batches` draws (they depend only on the seed, the epoch and the image), so the
 * N ranks together see exactly the batches of a single process with the N-times larger batch.
 */
export class PoseTrainData implements DataSource<KeypointBatch> {
  readonly set: CocoKeypointsTrainSet;
  private readonly cfg: PoseConfig;
  private readonly batchSize: number;
  private readonly workers: number | SampleExecutor;
  private readonly shard?: ShardSpec;

  private constructor(set: CocoKeypointsTrainSet, cfg: PoseConfig, batchSize: number, workers: number | SampleExecutor, shard?: ShardSpec) {
    this.set = set;
    this.cfg = cfg;
    this.batchSize = batchSize;
    this.workers = workers;
    this.shard = shard && shard.worldSize > 1 ? shard : undefined;
  }

  /** Opens `<root>`'s DATASET.TRAIN split; `workers` > 0 starts a sample worker pool (close it with {@link close}). */
  static async open(
    cfg: PoseConfig,
    root: string,
    { batchSize = cfg.TRAIN.IMAGES_PER_GPU, workers = cfg.WORKERS, shard }: { batchSize?: number; workers?: number; shard?: ShardSpec } = {},
  ): Promise<PoseTrainData> {
    await checkDataRoot(root, cfg.DATASET.TRAIN);
    const set = await CocoKeypointsTrainSet.open({
      root,
      split: cfg.DATASET.TRAIN,
      config: pipelineConfig(cfg),
      encoder: poseCodec(cfg).encoderRef,
      badSamples: cfg.DATASET.BAD_SAMPLES,
      maxImagePixels: cfg.DATASET.MAX_IMAGE_PIXELS,
    });
    if (set.length === 0) throw new Error(`${annotationFile(root, cfg.DATASET.TRAIN)}: no image with annotations to train on`);
    const world = shard?.worldSize ?? 1;
    const perRank = Math.min(batchSize, Math.floor(set.length / world));
    if (perRank < 1) throw new Error(`${set.length} training images cannot fill a batch on each of ${world} data-parallel ranks`);
    const executor = workers > 0 ? set.createWorkerPool(workers) : 0;
    return new PoseTrainData(set, cfg, perRank, executor, shard);
  }

  /** Full batches per epoch (a last partial batch is dropped, as BatchNorm needs > 1 sample). */
  get length(): number {
    return Math.floor(this.set.length / (this.batchSize * (this.shard?.worldSize ?? 1)));
  }

  batches(epoch: number): AsyncIterable<KeypointBatch> {
    if (this.shard) return this.shardBatches(epoch, this.shard);
    return this.set.batches({
      batchSize: this.batchSize,
      shuffle: this.cfg.TRAIN.SHUFFLE,
      seed: this.cfg.TRAIN.SEED,
      epoch,
      dropLast: true,
      prefetch: 2,
      workers: this.workers,
    });
  }

  /** The images of this rank in epoch `epoch`, batch after batch (same order and seeds as `set.batches`). */
  shardIndices(epoch: number, shard: ShardSpec): number[] {
    const n = this.set.length;
    const order = this.cfg.TRAIN.SHUFFLE ? shuffledIndices(n, createRng(mixSeed(this.cfg.TRAIN.SEED, epoch, 0x5eed))) : Int32Array.from({ length: n }, (_, i) => i);
    return shardBatches(Int32Array.from(order), this.batchSize * shard.worldSize, { shard, dropLast: true }).flatMap((b) => [...b]);
  }

  /** This rank's share, batch after batch; a skipped image's place is refilled so every rank yields as many batches. */
  private shardBatches(epoch: number, shard: ShardSpec): AsyncIterable<KeypointBatch> {
    return this.set.batches({
      batchSize: this.batchSize,
      order: this.shardIndices(epoch, shard),
      refill: true,
      seed: this.cfg.TRAIN.SEED,
      epoch,
      dropLast: true,
      prefetch: 2,
      workers: this.workers,
    });
  }

  async close(): Promise<void> {
    if (typeof this.workers === 'object') await this.workers.close();
  }
}
