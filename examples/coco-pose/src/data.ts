import { access } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  CocoKeypointsTrainSet,
  generateSyntheticCocoKeypoints,
  type KeypointBatch,
  type SampleExecutor,
  type SyntheticCocoResult,
} from '@hrnet/data-coco';
import type { HigherHrnetTargets } from '@hrnet/heads';
import type { DataSource } from '@hrnet/train';
import { dataConfig, type PoseConfig } from './config.js';

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

/** The training set of DATASET.TRAIN as a `@hrnet/train` data source of channels-last batches. */
export class PoseTrainData implements DataSource<KeypointBatch> {
  readonly set: CocoKeypointsTrainSet;
  private readonly cfg: PoseConfig;
  private readonly batchSize: number;
  private readonly workers: number | SampleExecutor;

  private constructor(set: CocoKeypointsTrainSet, cfg: PoseConfig, batchSize: number, workers: number | SampleExecutor) {
    this.set = set;
    this.cfg = cfg;
    this.batchSize = batchSize;
    this.workers = workers;
  }

  /** Opens `<root>`'s DATASET.TRAIN split; `workers` > 0 starts a sample worker pool (close it with {@link close}). */
  static async open(cfg: PoseConfig, root: string, { batchSize = cfg.TRAIN.IMAGES_PER_GPU, workers = cfg.WORKERS } = {}): Promise<PoseTrainData> {
    await checkDataRoot(root, cfg.DATASET.TRAIN);
    const set = await CocoKeypointsTrainSet.open({ root, split: cfg.DATASET.TRAIN, config: dataConfig(cfg) });
    if (set.length === 0) throw new Error(`${annotationFile(root, cfg.DATASET.TRAIN)}: no image with annotations to train on`);
    const executor = workers > 0 ? set.createWorkerPool(workers) : 0;
    return new PoseTrainData(set, cfg, Math.min(batchSize, set.length), executor);
  }

  /** Full batches per epoch (a last partial batch is dropped, as BatchNorm needs > 1 sample). */
  get length(): number {
    return this.set.batchCount(this.batchSize, true);
  }

  batches(epoch: number): AsyncIterable<KeypointBatch> {
    return this.set.batches({
      batchSize: this.batchSize,
      shuffle: this.cfg.TRAIN.SHUFFLE,
      seed: this.cfg.TRAIN.SEED,
      epoch,
      dropLast: true,
      prefetch: 2,
      workers: this.workers,
      heatmapLayout: 'NHWJ',
    });
  }

  async close(): Promise<void> {
    if (typeof this.workers === 'object') await this.workers.close();
  }
}

/** Network input of a batch: `[B, R, R, 3]`. */
export function batchInputs(b: KeypointBatch): tf.Tensor4D {
  return tf.tensor4d(b.images, b.imageShape);
}

/** Loss targets of a batch as tensors (call inside a tidy scope). */
export function batchTargets(b: KeypointBatch): HigherHrnetTargets {
  return {
    heatmaps: b.heatmaps.map((h, k) => tf.tensor4d(h, b.heatmapShapes[k])),
    heatmapsLayout: 'NHWC',
    masks: b.masks.map((m, k) => tf.tensor3d(m, b.maskShapes[k])),
    // Host indices: the tag loss reads them on the CPU anyway.
    joints: b.joints.map((j, k) => ({ values: j, shape: b.jointShapes[k] })),
  };
}
