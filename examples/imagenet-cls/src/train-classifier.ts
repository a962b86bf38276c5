import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import {
  BatchLoader,
  evalTransform,
  generateImageFolderDataset,
  scanImageFolder,
  topKAccuracy,
  trainTransform,
  type ImageBatch,
} from '@hrnet/data-imagenet';
import { createClassifier } from '@hrnet/heads';
import { createLrSchedule, createOptimizer, Trainer, type FitResult, type MetricFn, type ProgressMode } from '@hrnet/train';
import type { ClassificationConfig } from './config.js';

export interface TrainClassifierOptions {
  /** ImageNet-layout root with train/ and val/; default: generate `data.synthetic` into a temp dir. */
  datadir?: string;
  /** Overrides `epochs`. */
  maxEpochs?: number;
  /** Stop after this many updates (smoke tests). */
  maxSteps?: number;
  progress?: ProgressMode;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Status lines (backend, dataset, model). Default console.log. */
  log?: (line: string) => void;
}

export interface TrainClassifierResult {
  backend: string;
  numClasses: number;
  trainImages: number;
  valImages: number;
  params: number;
  fit: FitResult;
  /** Top-1 accuracy on val after the last epoch. */
  top1: number;
  seconds: number;
}

/** Trains an HRNet classifier as the config says; the body of `train.ts`. */
export async function trainClassifier(cfg: ClassificationConfig, opts: TrainClassifierOptions = {}): Promise<TrainClassifierResult> {
  const t0 = performance.now();
  const log = opts.log ?? ((line: string) => console.log(line));
  const backend = await initBackend(cfg.backend, { log });

  let root = opts.datadir;
  let tempRoot: string | undefined;
  try {
    if (!root) {
      const syn = cfg.data.synthetic;
      if (!syn) throw new Error('no --datadir given and the config has no data.synthetic section');
      tempRoot = await mkdtemp(join(tmpdir(), 'hrnet-imagenet-cls-'));
      root = tempRoot;
      const ds = await generateImageFolderDataset(root, {
        classes: syn.classes,
        trainPerClass: syn.train_per_class,
        valPerClass: syn.val_per_class,
        size: syn.size,
        seed: cfg.seed,
      });
      log(`[data] synthetic dataset: ${ds.classes.length} classes (${ds.names.join(', ')}), ${ds.train} train / ${ds.val} val JPEGs of ${syn.size}px in ${root}`);
    }
    const trainFolder = await scanImageFolder(root, { split: 'train' });
    const valFolder = await scanImageFolder(root, { split: 'val', classes: trainFolder.classes });
    const numClasses = trainFolder.classes.length;
    const { image_size: size } = cfg.data;
    const trainData = new BatchLoader(trainFolder, {
      batchSize: cfg.batch_size,
      shuffle: true,
      seed: cfg.seed,
      dropLast: trainFolder.samples.length >= cfg.batch_size,
      prefetch: cfg.data.prefetch,
      transform: trainTransform({ size, scaleSize: cfg.data.scale_size, hflip: cfg.data.hflip, interpolation: cfg.data.train_interpolation }),
    });
    const valData = new BatchLoader(valFolder, {
      batchSize: cfg.batch_size,
      prefetch: cfg.data.prefetch,
      transform: evalTransform({ size, cropPct: cfg.data.crop_pct, interpolation: cfg.data.eval_interpolation }),
    });
    log(`[data] ${root}: ${numClasses} classes, ${trainFolder.samples.length} train / ${valFolder.samples.length} val images, ${size}x${size} crops`);

    const model = createClassifier(cfg.model.cfg ?? cfg.model.name!, {
      numClasses,
      headChannels: cfg.model.head_channels,
      numFeatures: cfg.model.num_features,
      dropRate: cfg.model.drop_rate,
      inputShape: [size, size, 3],
    });
    log(`[model] ${cfg.model.name ?? 'HRNet from model.cfg'}: ${model.countParams().toLocaleString('en-US')} parameters, ${numClasses} classes`);

    const epochs = opts.maxEpochs ?? cfg.epochs;
    const smoothing = cfg.loss.label_smoothing;
    const metrics: Record<string, MetricFn<ImageBatch>> = { top1: (out, b) => topKAccuracy(out as tf.Tensor2D, b.labels, 1) };
    if (numClasses > 5) metrics.top5 = (out, b) => topKAccuracy(out as tf.Tensor2D, b.labels, 5);
    const trainer = new Trainer<ImageBatch>({
      model,
      loss: (out, b) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(b.labels, 'int32'), numClasses), out as tf.Tensor, undefined, smoothing) as tf.Scalar,
      optimizer: createOptimizer(cfg.optimizer),
      lrSchedule: createLrSchedule(cfg.scheduler, { baseLr: cfg.optimizer.lr, epochs, stepsPerEpoch: trainData.length }),
      metrics,
      progress: opts.progress,
      stream: opts.stream,
    });
    const fit = await trainer.fit(trainData, { epochs, valData, maxSteps: opts.maxSteps });
    const skipped = trainData.skippedCount + valData.skippedCount;
    if (skipped > 0) log(`[data] skipped ${skipped} corrupt image(s)`);
    const top1 = fit.history[fit.history.length - 1].val!.metrics.top1;
    trainer.optimizer.dispose();
    model.dispose();
    return {
      backend,
      numClasses,
      trainImages: trainFolder.samples.length,
      valImages: valFolder.samples.length,
      params: model.countParams(),
      fit,
      top1,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
  }
}
