import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ShardSpec } from '@hrnet/core';
import { CocoTopDownTrainSet, generateSyntheticCocoKeypoints, type SyntheticCocoResult, type TopDownBatch } from '@hrnet/data-coco';
import type { DataSource } from '@hrnet/train';
import { splitOf, topDownCodec, trainPipelineConfig, type TopDownExampleConfig } from './config.js';

/** `<root>/annotations/person_keypoints_<split>.json`. */
export function annotationFile(root: string, split: string): string {
  return join(root, 'annotations', `person_keypoints_${split}.json`);
}

/** Throws a readable error when `root` does not hold the split's annotation file. */
export async function checkDataRoot(root: string, split: string): Promise<void> {
  const file = annotationFile(root, split);
  await access(file).catch(() => {
    throw new Error(`--datadir ${root}: no ${file} (expected COCO's layout: annotations/person_keypoints_${split}.json and images/${split}/ or ${split}/)`);
  });
}

/**
 * Writes the generated COCO keypoint set of `synthetic` under `root` for the config's train and val splits (their
 * names from `data.train` / `data.val`, e.g. train2017 → split 'train'); images depend only on the seed and index.
 */
export async function generateSyntheticDataset(cfg: TopDownExampleConfig, root: string, { splits = ['train', 'val'] }: { splits?: ('train' | 'val')[] } = {}) {
  const s = cfg.synthetic;
  const name = (split: string) => {
    const m = /^(.+)2017$/.exec(split);
    if (!m) throw new Error(`the generated dataset names its splits <name>2017; data.train / data.val name '${split}'`);
    return m[1]!;
  };
  const common = { size: s.image_size, peoplePerImage: s.people_per_image, seed: s.seed };
  const out: { train?: SyntheticCocoResult; val?: SyntheticCocoResult } = {};
  if (splits.includes('train')) out.train = await generateSyntheticCocoKeypoints(root, { ...common, split: name(splitOf(cfg.data.train)), images: s.train_images });
  if (splits.includes('val')) out.val = await generateSyntheticCocoKeypoints(root, { ...common, split: name(splitOf(cfg.data.val)), images: s.val_images });
  return out;
}

/** The training people of `data.train` as a `@hrnet/train` data source of `samples_per_gpu` crops (this rank's share with `--dist`). */
export class TopDownTrainData implements DataSource<TopDownBatch> {
  private constructor(
    readonly set: CocoTopDownTrainSet,
    private readonly cfg: TopDownExampleConfig,
    private readonly batchSize: number,
    private readonly shard?: ShardSpec,
  ) {}

  static async open(cfg: TopDownExampleConfig, root: string, { shard, log }: { shard?: ShardSpec; log?: (line: string) => void } = {}): Promise<TopDownTrainData> {
    const split = splitOf(cfg.data.train);
    await checkDataRoot(root, split);
    const set = await CocoTopDownTrainSet.open({ root, split, config: trainPipelineConfig(cfg), encoder: topDownCodec(cfg), log });
    const world = shard?.worldSize ?? 1;
    const perRank = Math.min(cfg.data.samples_per_gpu, Math.floor(set.length / world));
    if (perRank < 2) throw new Error(`${annotationFile(root, split)}: ${set.length} labelled people cannot fill a batch of 2 on each of ${world} rank(s)`);
    return new TopDownTrainData(set, cfg, perRank, shard && shard.worldSize > 1 ? shard : undefined);
  }

  /** Full batches per epoch (a last partial batch is dropped: BatchNorm needs > 1 sample). */
  get length(): number {
    return Math.floor(this.set.length / (this.batchSize * (this.shard?.worldSize ?? 1)));
  }

  batches(epoch: number): AsyncIterable<TopDownBatch> {
    return this.set.batches({ batchSize: this.batchSize, seed: this.cfg.seed, epoch, dropLast: true, shard: this.shard });
  }
}
