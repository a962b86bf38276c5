import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createRng, ImageDecodeError, isBadSamplePolicy, mixSeed, outsideRootWarning, pathsOutsideRoot, permutation, type BadSamplePolicy, type EncodedBatch, type KeypointEncoder, type KeypointEncoderRef, type Rng } from '@hrnet/core';
import { createCocoImageResolver, type CocoImageLayout } from './coco-image-path.js';
import { resolvePipelineConfig, type KeypointPipelineConfig, type KeypointPipelineConfigInput } from './keypoint-sample.js';
import { DEFAULT_MAX_IMAGE_PIXELS } from './decode-image.js';
import { imageIdListFile } from './image-id-list.js';
import { loadCocoKeypoints, type CocoKeypointsDataset } from './load-coco-keypoints.js';
import { loadKeypointEncoder } from './load-encoder.js';
import type { AffineParams } from './random-affine.js';
import { inProcessExecutor, SampleWorkerPool, type PipelineSample, type SampleExecutor } from './sample-worker-pool.js';
import { stackTargets } from './stack-targets.js';
import { makeTrainingSample, type SampleSpec, type TrainingSample } from './training-sample-spec.js';

export interface CocoKeypointsTrainSetOptions {
  /** Dataset root (`data/coco`): annotations/ and images/{split}/ (or {split}/) below it. */
  root: string;
  /** Split name, e.g. `train2017`. */
  split: string;
  /** Default `{root}/annotations/person_keypoints_{split}.json`. */
  annotationFile?: string;
  /** An already loaded annotation file (then `annotationFile` is not read). */
  annotations?: CocoKeypointsDataset;
  /**
   * Optional image list (e.g. `train2017.txt`): one image per line, as an image id or a file name
   * (a path's last segment is matched against `file_name`); blank lines and `#` comments skipped.
   * Default: `{root}/{split}.txt` when that file exists (the layout of DeepSpark's HigherHRNet listing);
   * `false`: every image of the annotation file.
   */
  idListFile?: string | false;
  /** Image folder layout, see {@link cocoImageDir}. Default `'auto'`. */
  layout?: CocoImageLayout;
  /** Input size, joints, flip permutation, normalisation and augmentation (see {@link resolvePipelineConfig}). */
  config: KeypointPipelineConfigInput;
  /** The model family's target encoder (e.g. a pose codec's `encoderRef` from @hrnet/heads), loaded here and in every worker. */
  encoder: KeypointEncoderRef;
  /**
   * Keep only images with at least one annotation of any kind (crowd and keypoint-less included),
   * as the bottom-up training sets do. Default true.
   */
  requireAnnotations?: boolean;
  /**
   * Images that cannot be used (missing, empty, over the pixel budget; found by a stat pass when the set opens,
   * or unreadable when decoded): `'skip'` leaves them out and reports them (default), `'fail'` raises naming them.
   */
  badSamples?: BadSamplePolicy;
  /** Pixel budget per image (width x height), checked from the annotation and the file header. Default 64 Mpx. */
  maxImagePixels?: number;
  /** Where the one-line reports of images left out and of symlinks leaving `root` (see `pathsOutsideRoot`) go. Default `console.warn`. */
  log?: (line: string) => void;
}

/** What to do when an image cannot be decoded: raise or leave it out and report it. */
export type CorruptImagePolicy = 'throw' | 'skip';

/** Images that cannot be used, under `badSamples: 'fail'`; the message names them. */
export class BadSampleError extends Error {
  override readonly name = 'BadSampleError';
  constructor(
    message: string,
    readonly samples: readonly BadSample[],
  ) {
    super(message);
  }
}

/** An image left out, and why. */
export interface BadSample {
  imageId: number;
  path: string;
  reason: string;
}

const STAT_CONCURRENCY = 64;
const LISTED = 3;
const listBad = (bad: readonly { path: string; reason: string }[]) =>
  `${bad
    .slice(0, LISTED)
    .map((b) => `${b.path} (${b.reason})`)
    .join(', ')}${bad.length > LISTED ? ', …' : ''}`;

/** One stat per image, a few dozen at a time: missing and empty files, and images over the pixel budget. */
async function findBadImages(ids: number[], annotations: CocoKeypointsDataset, resolve: (f: string) => string, maxPixels: number): Promise<BadSample[]> {
  const bad: BadSample[] = [];
  for (let i = 0; i < ids.length; i += STAT_CONCURRENCY) {
    await Promise.all(
      ids.slice(i, i + STAT_CONCURRENCY).map(async (imageId) => {
        const img = annotations.imagesById.get(imageId)!;
        let file: string;
        try {
          file = resolve(img.file_name);
        } catch (err) {
          bad.push({ imageId, path: img.file_name, reason: (err as Error).message });
          return;
        }
        if (img.width * img.height > maxPixels) {
          bad.push({ imageId, path: file, reason: `${img.width}x${img.height} is over the pixel budget of ${maxPixels}` });
          return;
        }
        const st = await stat(file).catch((err: NodeJS.ErrnoException) => err);
        if (st instanceof Error) bad.push({ imageId, path: file, reason: st.code === 'ENOENT' ? 'missing' : st.message });
        else if (!st.isFile()) bad.push({ imageId, path: file, reason: 'not a file' });
        else if (st.size === 0) bad.push({ imageId, path: file, reason: 'empty file' });
      }),
    );
  }
  const order = new Map(ids.map((id, k) => [id, k]));
  return bad.sort((a, b) => order.get(a.imageId)! - order.get(b.imageId)!);
}

export interface KeypointBatchOptions {
  batchSize: number;
  /** Visit images in a seeded random order (default true). */
  shuffle?: boolean;
  /** Seeds the order and every sample's augmentation. Default 0. */
  seed?: number;
  /** Epoch number: mixed into the order and the augmentation seeds. Default 0. */
  epoch?: number;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Batches prepared ahead of the one being consumed. Default 2. */
  prefetch?: number;
  /**
   * Where samples are made: a number of worker threads (0 = this thread; default 0), or a pool
   * from {@link CocoKeypointsTrainSet.createWorkerPool} shared across epochs (not closed here).
   */
  workers?: number | SampleExecutor;
  /** Default: the set's `badSamples` policy ('skip' unless it was opened with 'fail'). */
  onCorruptImage?: CorruptImagePolicy;
  /** Called for each image left out under 'skip'. */
  onSkip?: (path: string, error: Error) => void;
  /**
   * Called once at the end of an epoch in which images were left out (default: one summary line on stderr
   * with the count and the first paths).
   */
  onEpochSkipped?: (skipped: { path: string; reason: string }[], epoch: number) => void;
  /** Use only the first `limit` images of the (shuffled) order. */
  limit?: number;
  /** Visit exactly these dataset positions, in this order (a data-parallel rank's share), instead of the (shuffled) set. */
  order?: readonly number[];
  /**
   * Keep the number of full batches when images are skipped: each skipped image's place is taken by one more image,
   * past the end of the order from its start (data-parallel ranks must all yield the same number of batches). Default false.
   */
  refill?: boolean;
}

/** One batch: NHWC images and every target of the encoder stacked along a leading batch axis, row-major. */
export interface KeypointBatch extends EncodedBatch {
  /** Dataset positions and COCO image ids of the samples, in batch order. */
  indices: number[];
  imageIds: number[];
  /** The augmentation drawn for each sample. */
  params: AffineParams[];
}

/** Reads an image list (ids or file names, one per line) against `dataset`; entries naming no image are an error listing them. */
export async function readImageIdList(file: string, dataset: CocoKeypointsDataset): Promise<number[]> {
  const byName = new Map<string, number>();
  for (const img of dataset.images) byName.set(path.posix.basename(img.file_name.replace(/\\/g, '/')), img.id);
  const text = await readFile(file, 'utf8');
  const ids: number[] = [];
  const unknown: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    let id: number | undefined;
    if (/^\d+$/.test(line)) id = Number(line);
    else id = byName.get(path.posix.basename(line.replace(/\\/g, '/')));
    if (id === undefined || !dataset.imagesById.has(id)) unknown.push(line);
    else ids.push(id);
  }
  if (unknown.length) {
    throw new Error(`${file}: ${unknown.length} entries name no image of ${dataset.source}: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`);
  }
  return ids;
}

/**
 * A COCO keypoint training set (the reference's `CocoKeypoints`): image list, per-sample decoding, augmentation,
 * the model family's targets, and batches with prefetching (optionally in worker threads).
 */
export class CocoKeypointsTrainSet {
  readonly config: KeypointPipelineConfig;
  readonly encoderRef: KeypointEncoderRef;
  readonly encoder: KeypointEncoder;
  readonly annotations: CocoKeypointsDataset;
  /** The images of the set, in file (or id list) order. */
  readonly imageIds: readonly number[];
  /** Images left out when the set opened (missing, empty, over the pixel budget), under `badSamples: 'skip'`. */
  readonly excluded: readonly BadSample[];
  readonly badSamples: BadSamplePolicy;
  readonly maxImagePixels: number;
  /** Every image skipped while decoding so far (path → reason), over all epochs. */
  readonly skipped = new Map<string, string>();
  private readonly resolve: (fileName: string) => string;

  private constructor(
    annotations: CocoKeypointsDataset,
    imageIds: number[],
    resolve: (f: string) => string,
    config: KeypointPipelineConfig,
    encoderRef: KeypointEncoderRef,
    encoder: KeypointEncoder,
    checks: { excluded: BadSample[]; badSamples: BadSamplePolicy; maxImagePixels: number },
  ) {
    this.encoderRef = encoderRef;
    this.encoder = encoder;
    this.annotations = annotations;
    this.imageIds = imageIds;
    this.resolve = resolve;
    this.config = config;
    this.excluded = checks.excluded;
    this.badSamples = checks.badSamples;
    this.maxImagePixels = checks.maxImagePixels;
  }

  static async open(options: CocoKeypointsTrainSetOptions): Promise<CocoKeypointsTrainSet> {
    const config = resolvePipelineConfig(options.config);
    const encoder = await loadKeypointEncoder(options.encoder);
    const annotations =
      options.annotations ??
      (await loadCocoKeypoints(options.annotationFile ?? path.join(options.root, 'annotations', `person_keypoints_${options.split}.json`)));
    const listFile = options.idListFile === false ? undefined : (options.idListFile ?? (await imageIdListFile(options.root, options.split)));
    let ids = listFile ? await readImageIdList(listFile, annotations) : annotations.images.map((i) => i.id);
    if (options.requireAnnotations ?? true) ids = ids.filter((id) => (annotations.annotationsByImage.get(id)?.length ?? 0) > 0);
    const resolve = createCocoImageResolver({ root: options.root, split: options.split, layout: options.layout });
    const badSamples = options.badSamples ?? 'skip';
    if (!isBadSamplePolicy(badSamples)) throw new Error(`badSamples must be 'skip' or 'fail', got ${JSON.stringify(badSamples)}`);
    const maxImagePixels = options.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS;
    const excluded = await findBadImages(ids, annotations, resolve, maxImagePixels);
    if (excluded.length) {
      const what = `${excluded.length} of ${ids.length} images of ${annotations.source} cannot be used: ${listBad(excluded)}`;
      if (badSamples === 'fail') throw new BadSampleError(`${what} (badSamples 'skip' leaves them out)`, excluded);
      (options.log ?? ((l: string) => console.warn(l)))(`[data-coco] left out ${what}`);
      const out = new Set(excluded.map((b) => b.imageId));
      ids = ids.filter((id) => !out.has(id));
    }
    const outside = await pathsOutsideRoot(options.root, ids.map((id) => resolve(annotations.imagesById.get(id)!.file_name)));
    if (outside.length) (options.log ?? ((l: string) => console.warn(l)))(outsideRootWarning('data-coco', options.root, outside));
    return new CocoKeypointsTrainSet(annotations, ids, resolve, config, options.encoder, encoder, { excluded, badSamples, maxImagePixels });
  }

  get length(): number {
    return this.imageIds.length;
  }

  /** The plain-data description of sample `index` (what a worker needs). */
  spec(index: number): SampleSpec {
    const imageId = this.imageIds[index];
    if (imageId === undefined) throw new RangeError(`sample index ${index} outside 0..${this.length - 1}`);
    const img = this.annotations.imagesById.get(imageId)!;
    const anns = this.annotations.annotationsByImage.get(imageId) ?? [];
    return {
      index,
      imageId,
      path: this.resolve(img.file_name),
      width: img.width,
      height: img.height,
      annotations: anns.map((a) => ({
        iscrowd: a.iscrowd,
        num_keypoints: a.num_keypoints,
        keypoints: a.keypoints,
        bbox: a.bbox,
        segmentation: a.segmentation,
      })),
      maxPixels: this.maxImagePixels,
    };
  }

  /**
   * Sample `index` with an augmentation drawn from `rng` (an Rng, or a seed), or with recorded
   * `AffineParams`. Use {@link identityAffineParams} for an unaugmented view.
   */
  sample(index: number, rng: Rng | number | AffineParams = 0): Promise<TrainingSample> {
    return makeTrainingSample(this.spec(index), this.config, this.encoder, rng);
  }

  /** A worker pool for {@link batches}; close it when done. */
  createWorkerPool(workers: number, sharpConcurrency = 1): SampleWorkerPool {
    return new SampleWorkerPool(this.config, this.encoderRef, { workers, sharpConcurrency });
  }

  /** Number of batches per epoch (before corrupt images are left out). */
  batchCount(batchSize: number, dropLast = false, limit?: number): number {
    const n = Math.min(this.length, limit ?? Infinity) / batchSize;
    return dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /**
   * One epoch of batches as an async iterator. While the caller trains on batch i, the samples
   * of the next `prefetch` batches are being decoded and augmented (in worker threads when
   * `workers` > 0). Order and augmentation depend only on (seed, epoch, index). A corrupt image
   * raises an {@link ImageDecodeError} naming the file, or with `onCorruptImage: 'skip'` is left
   * out and the batch is filled from the following images.
   */
  async *batches(options: KeypointBatchOptions): AsyncGenerator<KeypointBatch, void, undefined> {
    const { batchSize, seed = 0, epoch = 0, prefetch = 2, dropLast = false } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new Error(`prefetch must be a non-negative integer, got ${prefetch}`);
    const order =
      options.order ?? (options.shuffle ?? true ? Array.from(permutation(this.length, createRng(mixSeed(seed, epoch, 0x5eed)))) : [...this.imageIds.keys()]);
    const n = Math.min(order.length, options.limit ?? Infinity);
    // Positions visited: grows by one per skipped image under `refill` (wrapping to the start, at most once round).
    let end = n;
    const ownExecutor = typeof options.workers !== 'object';
    const executor: SampleExecutor =
      typeof options.workers === 'object'
        ? options.workers
        : (options.workers ?? 0) > 0
          ? this.createWorkerPool(options.workers as number)
          : inProcessExecutor(this.config, this.encoder);
    const policy = options.onCorruptImage ?? (this.badSamples === 'fail' ? 'throw' : 'skip');
    const skippedNow: { path: string; reason: string }[] = [];

    type Settled = { index: number; sample?: PipelineSample; error?: Error; known?: boolean };
    const start = (k: number): Promise<Settled> => {
      const index = order[k % n];
      let spec: SampleSpec;
      try {
        spec = this.spec(index);
      } catch (error) {
        return Promise.resolve({ index, error: error as Error });
      }
      // A refill that comes round to an image already skipped: pass over it without decoding or reporting it again.
      if (k >= n && this.skipped.has(spec.path)) return Promise.resolve({ index, known: true });
      return executor.run(spec, mixSeed(seed, epoch, index)).then(
        (sample) => ({ index, sample }),
        (error: Error) => ({ index, error }),
      );
    };

    const window = Math.max(1, (prefetch + 1) * batchSize);
    const inflight: Promise<Settled>[] = [];
    let next = 0;
    let pending: { index: number; sample: PipelineSample }[] = [];
    try {
      while (inflight.length < window && next < end) inflight.push(start(next++));
      while (inflight.length > 0) {
        const r = await inflight.shift()!;
        if (next < end) inflight.push(start(next++));
        const refill = () => {
          if (!options.refill || end >= 2 * n) return;
          end++;
          if (next < end) inflight.push(start(next++));
        };
        if (r.known) {
          refill();
          continue;
        }
        if (r.error) {
          const isDecode = r.error instanceof ImageDecodeError;
          if (policy === 'skip' && isDecode) {
            const p = (r.error as ImageDecodeError).path;
            const reason = r.error.message.replace(/^cannot decode image '.*?': /, '');
            skippedNow.push({ path: p, reason });
            this.skipped.set(p, reason);
            options.onSkip?.(p, r.error);
            refill();
            continue;
          }
          throw r.error;
        }
        pending.push({ index: r.index, sample: r.sample! });
        if (pending.length === batchSize) {
          yield this.assembleBatch(pending);
          pending = [];
        }
      }
      if (pending.length > 0 && !dropLast) yield this.assembleBatch(pending);
    } finally {
      if (ownExecutor) await executor.close();
      if (skippedNow.length) {
        const report =
          options.onEpochSkipped ??
          ((list: typeof skippedNow) => console.warn(`[data-coco] epoch ${epoch + 1}: skipped ${list.length} unreadable image(s): ${listBad(list)}`));
        report(skippedNow, epoch);
      }
    }
  }

  /**
   * Samples of this set (made by a {@link SampleExecutor} from {@link spec}) as one batch, the way
   * {@link batches} assembles them: for callers that choose their own images per batch (a data-parallel shard).
   */
  assembleBatch(items: { index: number; sample: PipelineSample }[]): KeypointBatch {
    const B = items.length;
    const R = this.config.inputSize;
    const images = new Float32Array(B * R * R * 3);
    items.forEach((it, b) => images.set(it.sample.image, b * R * R * 3));
    const targets = stackTargets(items.map((it) => it.sample.targets));
    return {
      size: B,
      indices: items.map((it) => it.index),
      imageIds: items.map((it) => this.imageIds[it.index]),
      images,
      imageShape: [B, R, R, 3],
      targets,
      params: items.map((it) => it.sample.params),
    };
  }
}
