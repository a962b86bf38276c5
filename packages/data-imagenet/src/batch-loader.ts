import { checkShard, createRng, ImageDecodeError, mixSeed, permutation, shardBatches, type BadSamplePolicy, type ShardSpec } from '@hrnet/core';
import { DecodePool } from './decode-pool.js';
import type { ImageFolder, ImageSample } from './image-folder.js';
import type { ImageTransform, TransformSpec } from './transforms.js';
import { mixBatchInPlace, sampleMixParams, type MixupOptions } from './augment/mixup.js';

/** One batch: `images` is NHWC float32 of `shape`, `labels[i]` the class of image i. */
export interface ImageBatch {
  images: Float32Array;
  labels: Int32Array;
  /** With `mixup`: the mixed soft targets, [N, numClasses] row-major (the loss takes these instead of `labels`). */
  targets?: Float32Array;
  shape: [number, number, number, number];
  /** Source file of each image, in batch order. */
  paths: string[];
}

export interface BatchLoaderOptions {
  batchSize: number;
  transform: ImageTransform;
  /** Reshuffle every epoch (seeded by `seed` and the epoch). Default false. */
  shuffle?: boolean;
  /** Seeds the shuffle and the per-sample augmentation. Default 0. */
  seed?: number;
  /** Drop the last incomplete batch. Default false. */
  dropLast?: boolean;
  /** Batches loaded ahead of the one being consumed. Default 1. */
  prefetch?: number;
  /** Images decoded at once per thread (sharp runs them on libuv's thread pool). Default 8 in-process, 4 per worker. */
  concurrency?: number;
  /**
   * Decode and transform in this many `worker_threads` (0: on the main thread, with sharp's async I/O).
   * Needs a built-in transform (one with a `spec`). Call {@link BatchLoader.close} when done. Default 0.
   */
  workers?: number;
  /**
   * Data-parallel sharding: every global batch (same order on every rank) is split into `worldSize`
   * contiguous slices and this loader yields slice `rank` — so N ranks together see exactly the batches
   * of one unsharded loader. Use `dropLast` so that no slice is empty.
   */
  shard?: ShardSpec;
  /**
   * timm's Mixup/CutMix in batch mode on every batch (one λ per batch, image i mixed with image N-1-i), drawn from
   * (`seed`, epoch, batch index, shard rank); batches then carry soft `targets`.
   */
  mixup?: MixupOptions & { numClasses: number };
  /** An image that fails to decode (missing, empty, truncated, corrupt): 'skip' (default) reports and leaves it out, 'fail' throws. */
  badSamples?: BadSamplePolicy;
  /** Called once per corrupt file under the 'skip' policy; default prints a warning to stderr. */
  onSkip?: (path: string, error: Error) => void;
}

const SHUFFLE_STREAM = 0x5eed;
const MIX_STREAM = 0x3112;

/**
 * Batches of transformed images from an {@link ImageFolder} (or any sample list), as an async iterable.
 *
 * - `batches(epoch)` yields one epoch; iterating the loader itself runs epoch 0, 1, 2, ... in turn.
 * - Shuffle order and augmentation are pure functions of (`seed`, epoch, sample index), so results do
 *   not depend on timing, prefetch depth or concurrency.
 * - While the consumer works on batch i, batches i+1 … i+`prefetch` are being decoded.
 * - A corrupt image is reported once with its path and left out (its batch is one smaller); the
 *   number of such files is {@link skippedCount}. With `badSamples: 'fail'` it raises instead.
 */
export class BatchLoader implements AsyncIterable<ImageBatch> {
  readonly samples: readonly ImageSample[];
  readonly batchSize: number;
  private readonly opts: BatchLoaderOptions;
  private readonly corrupt = new Map<string, string>();
  private nextEpoch = 0;
  private pool?: DecodePool;
  /** Time spent decoding in workers, summed over batches (see {@link stats}). */
  private workerMs = 0;
  private loadedBatches = 0;

  constructor(source: ImageFolder | readonly ImageSample[], opts: BatchLoaderOptions) {
    this.samples = Array.isArray(source) ? source : (source as ImageFolder).samples;
    if (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0) {
      throw new Error(`BatchLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    if (opts.prefetch != null && !(Number.isInteger(opts.prefetch) && opts.prefetch >= 0)) {
      throw new Error(`BatchLoader: prefetch must be a non-negative integer, got ${opts.prefetch}`);
    }
    if (opts.shard) checkShard(opts.shard, 'BatchLoader');
    const workers = opts.workers ?? 0;
    if (!(Number.isInteger(workers) && workers >= 0)) throw new Error(`BatchLoader: workers must be a non-negative integer, got ${opts.workers}`);
    if (workers > 0 && !(opts.transform as { spec?: TransformSpec }).spec) {
      throw new Error('BatchLoader: workers > 0 needs a built-in transform (evalTransform, trainTransform, randomResizedCropTransform) that worker threads can rebuild');
    }
    this.batchSize = opts.batchSize;
    this.opts = opts;
  }

  /** Terminates the worker pool, if any (the loader can still be used: a new pool starts on demand). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }

  /** Batches loaded and the mean time a worker spent on one (0 in-process). */
  get stats(): { batches: number; workerMsPerBatch: number } {
    return { batches: this.loadedBatches, workerMsPerBatch: this.loadedBatches ? this.workerMs / this.loadedBatches : 0 };
  }

  /** Batches per epoch (before any corrupt image is left out). */
  get length(): number {
    const n = this.samples.length / this.batchSize;
    return this.opts.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** Number of distinct files skipped as corrupt so far. */
  get skippedCount(): number {
    return this.corrupt.size;
  }

  /** Skipped files and why. */
  get skipped(): ReadonlyMap<string, string> {
    return this.corrupt;
  }

  [Symbol.asyncIterator](): AsyncIterator<ImageBatch> {
    return this.batches(this.nextEpoch++);
  }

  /** The batches of one epoch (0-based). */
  async *batches(epoch = 0): AsyncGenerator<ImageBatch> {
    const { shuffle = false, seed = 0, prefetch = 1 } = this.opts;
    const n = this.samples.length;
    const order = shuffle ? permutation(n, createRng(mixSeed(seed, epoch, SHUFFLE_STREAM))) : Int32Array.from({ length: n }, (_, i) => i);
    const groups = shardBatches(order, this.batchSize, { shard: this.opts.shard, dropLast: this.opts.dropLast });

    const pending: Promise<ImageBatch | null>[] = [];
    const { mixup } = this.opts;
    let next = 0;
    let yielded = 0;
    const start = () => {
      const p = this.loadBatch(groups[next++], epoch);
      p.catch(() => undefined); // surfaced when awaited; avoids unhandled rejections if the consumer stops early
      pending.push(p);
    };
    while (next < groups.length || pending.length > 0) {
      if (pending.length === 0) start();
      const head = pending.shift()!;
      // While batch i is awaited and then consumed, batches i+1 … i+prefetch load.
      while (pending.length < prefetch && next < groups.length) start();
      const batch = await head;
      if (!batch) continue;
      if (mixup) {
        const [, h, w] = batch.shape;
        const rng = createRng(mixSeed(seed, epoch, MIX_STREAM, yielded, this.opts.shard?.rank ?? 0));
        batch.targets = mixBatchInPlace(batch.images, batch.shape, batch.labels, mixup.numClasses, sampleMixParams(mixup, h, w, rng));
      }
      yielded++;
      yield batch;
    }
  }

  private async loadBatch(indices: Int32Array, epoch: number): Promise<ImageBatch | null> {
    this.loadedBatches++;
    if ((this.opts.workers ?? 0) > 0) return this.loadBatchInWorker(indices, epoch);
    const { transform, seed = 0, badSamples = 'skip', concurrency = 8 } = this.opts;
    const [h, w, c] = transform.outputShape;
    const per = h * w * c;
    const results: (Float32Array | null)[] = new Array(indices.length).fill(null);
    let cursor = 0;
    const worker = async () => {
      while (cursor < indices.length) {
        const j = cursor++;
        const sample = this.samples[indices[j]];
        if (this.corrupt.has(sample.path)) continue;
        try {
          const out = await transform.apply(sample.path, createRng(mixSeed(seed, epoch, indices[j])));
          if (out.length !== per) throw new Error(`transform returned ${out.length} values, expected ${per}`);
          results[j] = out;
        } catch (err) {
          if (badSamples === 'fail' || !(err instanceof ImageDecodeError)) throw err;
          this.reportCorrupt(sample.path, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, indices.length) }, worker));

    const kept = results.flatMap((r, j) => (r ? [j] : []));
    if (kept.length === 0) return null;
    const images = new Float32Array(kept.length * per);
    const labels = new Int32Array(kept.length);
    const paths: string[] = [];
    kept.forEach((j, k) => {
      images.set(results[j]!, k * per);
      labels[k] = this.samples[indices[j]].label;
      paths.push(this.samples[indices[j]].path);
    });
    return { images, labels, shape: [kept.length, h, w, c], paths };
  }

  private async loadBatchInWorker(indices: Int32Array, epoch: number): Promise<ImageBatch | null> {
    const { transform, seed = 0, badSamples = 'skip', concurrency = 4, workers = 0 } = this.opts;
    this.pool ??= new DecodePool((transform as { spec?: TransformSpec }).spec!, { workers, concurrency });
    const items = Array.from(indices, (i) => ({ path: this.samples[i].path, seed: mixSeed(seed, epoch, i) }));
    const res = await this.pool.run(items);
    if (res.error) throw new Error(`BatchLoader: decoding failed in a worker: ${res.error}`);
    this.workerMs += res.ms ?? 0;
    for (const c of res.corrupt ?? []) {
      const err = ImageDecodeError.fromMessage(c.path, c.message);
      if (badSamples === 'fail') throw err;
      this.reportCorrupt(c.path, err);
    }
    const kept = res.kept ?? [];
    if (kept.length === 0) return null;
    const [h, w, c] = transform.outputShape;
    return {
      images: res.images!,
      labels: Int32Array.from(kept, (j) => this.samples[indices[j]].label),
      shape: [kept.length, h, w, c],
      paths: kept.map((j) => this.samples[indices[j]].path),
    };
  }

  private reportCorrupt(path: string, err: Error): void {
    if (this.corrupt.has(path)) return;
    this.corrupt.set(path, err.message);
    if (this.opts.onSkip) this.opts.onSkip(path, err);
    else console.warn(`[data-imagenet] skipping corrupt image (${this.corrupt.size} so far): ${err.message}`);
  }
}
