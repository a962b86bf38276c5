import { isAbsolute, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadPytorchWeights, readSafetensors, type BadSamplePolicy, type ShardSpec } from '@hrnet/core';
import {
  BatchLoader,
  evalTransform,
  randomResizedCropTransform,
  scanFlatImageFolder,
  scanImageFolder,
  trainTransform,
  type ImageFolder,
} from '@hrnet/data-imagenet';
import { classificationTask, createClassifier } from '@hrnet/heads';
import { isTrainCheckpoint, loadCheckpoint, restoreModelWeights } from '@hrnet/train';
import type { ClassificationConfig } from './config.js';

/** The train and val folders of `root` (val: class folders, or the flat layout with `data.val_labels`). */
export async function scanDataset(cfg: ClassificationConfig, root: string, { needTrain = true } = {}): Promise<{ train?: ImageFolder; val: ImageFolder; classes: string[] }> {
  let train: ImageFolder | undefined;
  try {
    train = await scanImageFolder(root, { split: 'train' });
  } catch (err) {
    if (needTrain) throw err;
  }
  let val: ImageFolder;
  if (cfg.data.val_labels) {
    if (!train) throw new Error(`the flat validation layout (data.val_labels) takes its class order from ${join(root, 'train')}, which is missing`);
    const labelsFile = isAbsolute(cfg.data.val_labels) ? cfg.data.val_labels : join(root, cfg.data.val_labels);
    val = await scanFlatImageFolder(join(root, cfg.data.val_split), { labelsFile, classes: train.classes });
  } else {
    val = await scanImageFolder(root, { split: cfg.data.val_split, classes: train?.classes });
  }
  return { train, val, classes: train?.classes ?? val.classes };
}

export function trainLoader(cfg: ClassificationConfig, folder: ImageFolder, shard?: ShardSpec, badSamples?: BadSamplePolicy): BatchLoader {
  const d = cfg.data;
  const size = d.image_size;
  const jitter = d.color_jitter > 0 ? { brightness: d.color_jitter, contrast: d.color_jitter, saturation: d.color_jitter } : undefined;
  const transform =
    d.train_crop === 'random'
      ? trainTransform({ size, scaleSize: d.scale_size, hflip: d.hflip, interpolation: d.train_interpolation })
      : randomResizedCropTransform({
          size,
          scale: d.scale,
          ratio: d.ratio,
          hflip: d.hflip,
          interpolation: d.train_interpolation,
          colorJitter: jitter,
          autoAugment: d.auto_augment,
          randomErasing: d.re_prob > 0 ? { prob: d.re_prob, mode: d.re_mode, maxCount: d.re_count } : undefined,
        });
  const mixup = d.mixup > 0 || d.cutmix > 0
    ? { mixupAlpha: d.mixup, cutmixAlpha: d.cutmix, prob: d.mixup_prob, switchProb: d.mixup_switch_prob, numClasses: cfg.model.num_classes ?? folder.classes.length }
    : undefined;
  return new BatchLoader(folder, {
    batchSize: cfg.batch_size,
    badSamples,
    shuffle: true,
    seed: cfg.seed,
    dropLast: shard != null || folder.samples.length >= cfg.batch_size,
    prefetch: d.prefetch,
    workers: d.workers,
    transform,
    shard,
    mixup,
  });
}

export function valLoader(cfg: ClassificationConfig, folder: ImageFolder, batchSize = cfg.batch_size, badSamples?: BadSamplePolicy): BatchLoader {
  return new BatchLoader(folder, {
    batchSize,
    badSamples,
    prefetch: cfg.data.prefetch,
    workers: cfg.data.workers,
    transform: evalTransform({ size: cfg.data.image_size, cropPct: cfg.data.crop_pct, interpolation: cfg.data.eval_interpolation }),
  });
}

/** The classifier of `model:`, with MindSpore's conv/dense initialisation when asked. */
export function buildModel(cfg: ClassificationConfig, numClasses: number): tf.LayersModel {
  const m = cfg.model;
  const model = createClassifier(m.cfg ?? m.name!, {
    numClasses: m.num_classes ?? numClasses,
    headChannels: m.head_channels,
    numFeatures: m.num_features,
    dropRate: m.drop_rate,
    inputShape: [cfg.data.image_size, cfg.data.image_size, 3],
  });
  if (m.conv_init !== 'default' || m.dense_init !== 'default') {
    const rng = { seed: cfg.seed };
    for (const layer of model.layers) {
      const kind = layer.getClassName();
      const kernel = layer.weights.find((w) => /kernel$/.test(w.originalName ?? w.name));
      if (!kernel) continue;
      const shape = kernel.read().shape;
      let init: tf.Tensor | undefined;
      // MindSpore src/utils.py params_initializer: TruncatedNormal(sigma=0.027) (truncated at 2σ), RandomNormal σ 0.01.
      if (kind === 'Conv2d' && m.conv_init === 'TruncatedNormal') init = tf.truncatedNormal(shape, 0, 0.027, 'float32', rng.seed++);
      if (kind === 'Dense' && m.dense_init === 'TruncatedNormal') init = tf.truncatedNormal(shape, 0, 0.027, 'float32', rng.seed++);
      if (kind === 'Dense' && m.dense_init === 'RandomNormal') init = tf.randomNormal(shape, 0, 0.01, 'float32', rng.seed++);
      if (init) {
        kernel.write(init);
        init.dispose();
      }
    }
  }
  return model;
}

/** The classification task of @hrnet/heads with the config's label smoothing (`loss.label_smoothing`, `loss.smoothing_style`). */
export function classifierTask(cfg: ClassificationConfig, model: tf.LayersModel) {
  return classificationTask(model, { loss: { smoothing: cfg.loss.label_smoothing, style: cfg.loss.smoothing_style } });
}

/**
 * Loads weights into `model` from one of our training checkpoints (`.safetensors` with @hrnet/train
 * metadata) or from timm / PyTorch weights (`.pth`, `.safetensors`, timm parameter names).
 */
export async function loadWeights(model: tf.LayersModel, path: string): Promise<'checkpoint' | 'timm'> {
  if (/\.safetensors$/i.test(path)) {
    const { metadata } = await readSafetensors(path);
    if (isTrainCheckpoint(metadata)) {
      restoreModelWeights(await loadCheckpoint(path), model);
      return 'checkpoint';
    }
  }
  await loadPytorchWeights(model, path, { naming: 'timm' });
  return 'timm';
}
