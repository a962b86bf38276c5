import { access } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadPytorchWeights } from '@hrnet/core';
import { createSegmenter, initSegmenterWeights } from '@hrnet/heads';
import { CheckpointError, loadCheckpoint, parseConfig, readCheckpointMeta, restoreModelWeights } from '@hrnet/train';
import { segConfigSchema, segExtra, type SegConfig } from './config.js';

/** The network of MODEL (19 classes, ALIGN_CORNERS); with a `seed` and MODEL.INIT_WEIGHTS, seg_hrnet's N(0, 0.001) init drawn from it. */
export function buildSegmenter(cfg: SegConfig, seed?: number): tf.LayersModel {
  const model = createSegmenter(segExtra(cfg), { numClasses: cfg.DATASET.NUM_CLASSES, alignCorners: cfg.MODEL.ALIGN_CORNERS, name: cfg.MODEL.NAME });
  if (seed != null && cfg.MODEL.INIT_WEIGHTS) initSegmenterWeights(model, seed);
  return model;
}

/** How {@link buildSegmenter} initialised the network, for the log. */
function initName(cfg: SegConfig): string {
  return cfg.MODEL.INIT_WEIGHTS ? 'N(0, 0.001) conv initialisation' : 'He-normal conv initialisation (MODEL.INIT_WEIGHTS false)';
}

/**
 * MODEL.PRETRAINED as the official `init_weights`: when the file exists, every tensor of the ImageNet HRNet
 * checkpoint whose name the segmenter has (the head's are not in it); otherwise training starts from the init.
 * Returns a line for the log.
 */
export async function loadPretrained(model: tf.LayersModel, cfg: SegConfig, dataDir = ''): Promise<string> {
  const file = cfg.MODEL.PRETRAINED;
  if (!file) return initName(cfg);
  const path = isAbsolute(file) || !dataDir ? file : `${dataDir}/${file}`;
  const found = await access(path).then(
    () => true,
    () => false,
  );
  if (!found) return `${initName(cfg)}; MODEL.PRETRAINED ${path} not found, training from scratch`;
  const r = await loadPytorchWeights(model, path, { naming: 'hrnet-seg', strict: false });
  return `${initName(cfg)}, then ${r.loaded.length} tensors from ${path} (${r.missing.length} model tensors not in it)`;
}

export type WeightsKind = 'checkpoint' | 'pytorch';

/**
 * The config of `--ckpt`: `cfg` (from `--cfg`) when given, else the one stored in our training checkpoint. Reads the
 * file's header only, so a missing file or config is reported before a backend starts.
 */
export async function checkpointConfig(path: string, cfg?: SegConfig): Promise<SegConfig> {
  await access(path).catch(() => {
    throw new CheckpointError(`${path}: no such checkpoint file`);
  });
  if (cfg) return cfg;
  const meta = /\.safetensors$/i.test(path) ? await readCheckpointMeta(path) : undefined;
  if (meta?.config == null) throw new CheckpointError(`${path} stores no config (PyTorch weights); pass the training config with --cfg`);
  return parseConfig(meta.config, segConfigSchema, `${path} (stored config)`);
}

/**
 * A model from `--ckpt` with the network of `cfg` ({@link checkpointConfig}): one of our training checkpoints
 * (`checkpoint-epochNNNN.safetensors`), or official PyTorch weights (`.pth` / `.safetensors` with seg_hrnet's
 * names, e.g. a `best.pth` of tools/train.py).
 */
export async function loadSegModel(path: string, cfg: SegConfig): Promise<{ model: tf.LayersModel; kind: WeightsKind }> {
  const isOurs = /\.safetensors$/i.test(path) && (await readCheckpointMeta(path)) != null;
  const model = buildSegmenter(cfg);
  try {
    if (isOurs) restoreModelWeights(await loadCheckpoint(path), model);
    else await loadPytorchWeights(model, path, { naming: 'hrnet-seg' });
    return { model, kind: isOurs ? 'checkpoint' : 'pytorch' };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
