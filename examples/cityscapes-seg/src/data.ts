import { access } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ShardSpec } from '@hrnet/core';
import {
  cityscapesBatches,
  generateSyntheticCityscapes,
  readCityscapesList,
  scanCityscapes,
  type CityscapesBatch,
  type CityscapesSample,
  type Split,
  type SyntheticCityscapes,
} from '@hrnet/data-cityscapes';
import type { DataSource } from '@hrnet/train';
import { augmentOptions, type SegConfig } from './config.js';

/** DATASET.SYNTHETIC written to `root` (the real layout plus `list/{train,val}.lst`). */
export async function generateSyntheticData(cfg: SegConfig, root: string): Promise<SyntheticCityscapes> {
  const s = cfg.DATASET.SYNTHETIC;
  if (!s) throw new Error('no --datadir given and the config has no DATASET.SYNTHETIC section (the generated data set); pass --datadir <cityscapes root>');
  return generateSyntheticCityscapes(root, { size: [s.IMAGE_SIZE[1], s.IMAGE_SIZE[0]], cities: s.CITIES, trainPerCity: s.TRAIN_PER_CITY, valPerCity: s.VAL_PER_CITY, seed: s.SEED });
}

/** A split's samples, and the bad ones already known (images without their gtFine file) as 'path (reason)'. */
export interface SplitSamples {
  samples: CityscapesSample[];
  /** Where they came from: the list file, or the scanned folder. */
  source: string;
  leftOut: string[];
}

/**
 * DATASET.TRAIN_SET / TEST_SET under `root`: the list file where it exists (the reference's form, paths relative to
 * the root), otherwise the official layout's split named by the list's file name (`…/val.lst` → leftImg8bit/val).
 * An image without its gtFine file: left out and listed (BAD_SAMPLES skip) or an error naming it (fail).
 */
export async function splitSamples(cfg: SegConfig, root: string, set: string, limit = 0): Promise<SplitSamples> {
  const onMissingLabel = cfg.DATASET.BAD_SAMPLES === 'skip' ? 'skip' : 'error';
  const list = join(root, set);
  const hasList = await access(list).then(
    () => true,
    () => false,
  );
  let found;
  if (hasList) found = await readCityscapesList(root, list, { onMissingLabel });
  else {
    const split = basename(set, extname(set));
    if (split !== 'train' && split !== 'val' && split !== 'test') {
      throw new Error(`${list}: no such list file, and '${split}' is not a Cityscapes split (train, val, test) to scan instead`);
    }
    found = await scanCityscapes(root, split as Split, { onMissingLabel });
  }
  const samples = limit > 0 ? found.samples.slice(0, limit) : found.samples;
  return { samples, source: hasList ? list : join(root, 'leftImg8bit', basename(set, extname(set))), leftOut: found.skipped.map((s) => `${s.image} (missing ${s.missingLabel})`) };
}

/** 'a, b, c and N more' for log lines. */
export function firstFew(items: string[], n = 3): string {
  return items.length <= n ? items.join(', ') : `${items.slice(0, n).join(', ')} and ${items.length - n} more`;
}

/**
 * The training batches of every epoch (augmented as TRAIN says, shuffled when TRAIN.SHUFFLE, last incomplete batch
 * dropped as the reference's loader), each batch's tensors disposed once the Trainer asks for the next. Samples
 * that cannot be used are left out and counted (`badSamples`), or end the run, as DATASET.BAD_SAMPLES says.
 */
export class SegTrainData implements DataSource<CityscapesBatch> {
  readonly length: number;
  /** Samples left out during training, 'path: reason', over all epochs. */
  readonly badSamples: string[] = [];

  constructor(
    private readonly cfg: SegConfig,
    private readonly samples: CityscapesSample[],
    private readonly opts: { shard?: ShardSpec; log?: (line: string) => void } = {},
  ) {
    const b = cfg.TRAIN.BATCH_SIZE_PER_GPU * (opts.shard?.worldSize ?? 1);
    this.length = Math.floor(samples.length / b);
    if (this.length === 0) throw new Error(`${samples.length} training images are fewer than one batch of ${b} (TRAIN.BATCH_SIZE_PER_GPU${opts.shard ? ' x --dist' : ''})`);
  }

  async *batches(epoch: number): AsyncGenerator<CityscapesBatch> {
    const { cfg, opts } = this;
    const bad: string[] = [];
    const skip = cfg.DATASET.BAD_SAMPLES === 'skip';
    yield* disposing(
      cityscapesBatches(this.samples, epoch, {
        batchSize: cfg.TRAIN.BATCH_SIZE_PER_GPU * (opts.shard?.worldSize ?? 1),
        augment: augmentOptions(cfg),
        shuffle: cfg.TRAIN.SHUFFLE,
        dropLast: true,
        seed: cfg.TRAIN.SEED,
        shard: opts.shard,
        // data-cityscapes' errors start with the file they are about.
        onBadSample: skip ? (_, e) => bad.push(e.message) : undefined,
      }),
    );
    if (bad.length > 0) {
      this.badSamples.push(...bad);
      opts.log?.(`[data] epoch ${epoch + 1}: left out ${bad.length} unusable sample(s) (DATASET.BAD_SAMPLES skip): ${firstFew(bad)}`);
    }
  }
}

/** Yields each batch and disposes its tensors when the consumer moves on (or stops). */
export async function* disposing(batches: AsyncIterable<CityscapesBatch>): AsyncGenerator<CityscapesBatch> {
  for await (const b of batches) {
    try {
      yield b;
    } finally {
      tf.dispose([b.images, b.labels]);
    }
  }
}
