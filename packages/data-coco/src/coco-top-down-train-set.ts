import path from 'node:path';
import { createRng, mixSeed, permutation, shardBatches, type EncodedBatch, type ShardSpec, type Rng, type TopDownTargetEncoder } from '@hrnet/core';
import { createCocoImageResolver, type CocoImageLayout } from './coco-image-path.js';
import type { KeypointBatchOptions } from './coco-keypoints-dataset.js';
import { decodeRgb, DEFAULT_MAX_IMAGE_PIXELS } from './decode-image.js';
import { loadCocoKeypoints, type CocoKeypointsDataset } from './load-coco-keypoints.js';
import { stackTargets } from './stack-targets.js';
import { groundTruthPeople, type TopDownPerson } from './top-down-people.js';
import { drawTopDownParams, makeTopDownSample, resolveTopDownPipelineConfig, type TopDownParams, type TopDownPipelineConfig, type TopDownTrainingSample } from './top-down-sample.js';

export interface CocoTopDownTrainSetOptions {
  /** Dataset root (`data/coco`): annotations/ and images/{split}/ (or {split}/) below it. */
  root: string;
  split: string;
  /** Default `{root}/annotations/person_keypoints_{split}.json`. */
  annotationFile?: string;
  annotations?: CocoKeypointsDataset;
  layout?: CocoImageLayout;
  /** image_size and the train_pipeline's settings (defaults: the COCO configs'). */
  config: Partial<TopDownPipelineConfig> & { imageSize: readonly [number, number] };
  /** The family's heatmap codec (its `encode` makes the targets). */
  encoder: TopDownTargetEncoder;
  maxImagePixels?: number;
  /** Where the count of boxes left out goes (default console.warn). */
  log?: (line: string) => void;
}

/** A batch of person crops: NHWC images, the codec's targets stacked, and where each crop came from. */
export interface TopDownBatch extends EncodedBatch {
  /** Positions in the person list and COCO image ids, in batch order. */
  indices: number[];
  imageIds: number[];
  params: TopDownParams[];
}

/** The bottom-up set's batch options that mean the same here (the order and augmentation seeds are per person). */
export interface TopDownBatchOptions extends Pick<KeypointBatchOptions, 'batchSize' | 'shuffle' | 'seed' | 'epoch' | 'dropLast' | 'prefetch'> {
  /** Random augmentation (default true); false: the val pipeline's plain box crops. */
  augment?: boolean;
  /**
   * Data-parallel rank (`--dist`): global batches of `batchSize x worldSize` people (last partial one dropped), this rank
   * gets its slice of each; the order and augmentations are those of one process with the larger batch.
   */
  shard?: ShardSpec;
}

/**
 * A COCO keypoint set for top-down training (MMPose `TopDownCocoDataset` on ground-truth boxes): one sample per
 * labelled person, cropped and augmented as the config's train_pipeline, targets from the codec. Samples are made
 * in this thread (sharp decodes off it), `prefetch` batches ahead of the training step.
 */
export class CocoTopDownTrainSet {
  readonly config: TopDownPipelineConfig;
  readonly annotations: CocoKeypointsDataset;
  readonly people: readonly TopDownPerson[];
  /** Annotations left out for a box without area. */
  readonly zeroArea: number;
  private readonly resolve: (fileName: string) => string;

  private constructor(
    annotations: CocoKeypointsDataset,
    people: TopDownPerson[],
    zeroArea: number,
    config: TopDownPipelineConfig,
    readonly encoder: TopDownTargetEncoder,
    resolve: (f: string) => string,
    readonly maxImagePixels: number,
  ) {
    this.annotations = annotations;
    this.people = people;
    this.zeroArea = zeroArea;
    this.config = config;
    this.resolve = resolve;
  }

  static async open(o: CocoTopDownTrainSetOptions): Promise<CocoTopDownTrainSet> {
    const config = resolveTopDownPipelineConfig(o.config);
    const annotations = o.annotations ?? (await loadCocoKeypoints(o.annotationFile ?? path.join(o.root, 'annotations', `person_keypoints_${o.split}.json`)));
    const { people, zeroArea } = groundTruthPeople(annotations);
    if (zeroArea) (o.log ?? ((l: string) => console.warn(l)))(`[data-coco] ${annotations.source}: left out ${zeroArea} person box(es) of zero area`);
    const resolve = createCocoImageResolver({ root: o.root, split: o.split, layout: o.layout });
    return new CocoTopDownTrainSet(annotations, people, zeroArea, config, o.encoder, resolve, o.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS);
  }

  get length(): number {
    return this.people.length;
  }

  /** Sample `index`: augmented with a draw from `rng` (an Rng or a seed), or the plain box crop when `rng` is undefined. */
  async sample(index: number, rng?: Rng | number): Promise<TopDownTrainingSample> {
    const person = this.people[index];
    if (!person) throw new RangeError(`person index ${index} outside 0..${this.length - 1}`);
    const img = this.annotations.imagesById.get(person.imageId)!;
    const image = await decodeRgb(this.resolve(img.file_name), { maxPixels: this.maxImagePixels });
    const r = typeof rng === 'number' ? createRng(rng) : rng;
    const { params, joints } = drawTopDownParams(person, image.width, this.config, r);
    return makeTopDownSample(image, joints, params, this.config, this.encoder);
  }

  batchCount(batchSize: number, dropLast = false): number {
    return dropLast ? Math.floor(this.length / batchSize) : Math.ceil(this.length / batchSize);
  }

  /** One epoch of batches; the order and every augmentation depend only on (seed, epoch, person index). */
  async *batches(o: TopDownBatchOptions): AsyncGenerator<TopDownBatch, void, undefined> {
    const { batchSize, seed = 0, epoch = 0, prefetch = 2, dropLast = false, augment = true } = o;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
    let order = (o.shuffle ?? true) ? Array.from(permutation(this.length, createRng(mixSeed(seed, epoch, 0x70d0)))) : [...this.people.keys()];
    if (o.shard && o.shard.worldSize > 1) order = shardBatches(Int32Array.from(order), batchSize * o.shard.worldSize, { shard: o.shard, dropLast: true }).flatMap((b) => [...b]);
    const window = Math.max(1, (prefetch + 1) * batchSize);
    const inflight: Promise<{ index: number; s: TopDownTrainingSample }>[] = [];
    let next = 0;
    const start = () => {
      const index = order[next++]!;
      inflight.push(this.sample(index, augment ? mixSeed(seed, epoch, index) : undefined).then((s) => ({ index, s })));
    };
    while (inflight.length < window && next < order.length) start();
    let pending: { index: number; s: TopDownTrainingSample }[] = [];
    while (inflight.length) {
      const item = await inflight.shift()!;
      if (next < order.length) start();
      pending.push(item);
      if (pending.length === batchSize) {
        yield this.assemble(pending);
        pending = [];
      }
    }
    if (pending.length && !dropLast) yield this.assemble(pending);
  }

  private assemble(items: { index: number; s: TopDownTrainingSample }[]): TopDownBatch {
    const B = items.length;
    const [w, h] = this.config.imageSize;
    const images = new Float32Array(B * h * w * 3);
    items.forEach((it, b) => images.set(it.s.sample.image, b * h * w * 3));
    const targets = stackTargets(items.map((it) => it.s.targets));
    return {
      size: B,
      images,
      imageShape: [B, h, w, 3],
      targets,
      indices: items.map((it) => it.index),
      imageIds: items.map((it) => this.people[it.index]!.imageId),
      params: items.map((it) => it.s.params),
    };
  }
}
