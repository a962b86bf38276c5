import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { dirLoadHandler, loadPytorchWeights, readSafetensors, saveModelToDir } from '@hrnet/core';
import { createHigherHRNet } from '@hrnet/heads';
import { CheckpointManager, isTrainCheckpoint, loadCheckpoint, parseConfig, restoreModelWeights, type CheckpointContents, type CheckpointManagerOptions } from '@hrnet/train';
import { networkConfig, poseConfigSchema, type PoseConfig } from './config.js';

/** Name of the model directory written next to the epoch checkpoints. */
export const MODEL_DIR = 'model';
/** The resolved config stored in every model directory (what `predict.ts --ckpt <dir>` needs). */
export const CONFIG_FILE = 'config.json';

/** Saves `model` as a tfjs model directory (model.json + weights.bin + config.json), atomically. */
export async function savePoseModel(model: tf.LayersModel, dir: string, cfg: PoseConfig, info: Record<string, unknown> = {}): Promise<void> {
  await saveModelToDir(model, dir, { extraFiles: { [CONFIG_FILE]: `${JSON.stringify({ ...info, config: cfg }, null, 1)}\n` } });
}

/**
 * The Trainer's epoch checkpoints (`checkpoint-epochNNNN.safetensors`: weights, optimizer state, step, RNG, config;
 * what `--resume` reads) plus, after every saved epoch, the model directory `<dir>/model/` (replaced atomically).
 */
export class PoseCheckpointManager extends CheckpointManager {
  readonly modelDir: string;
  private readonly cfg: PoseConfig;

  constructor(opts: CheckpointManagerOptions, cfg: PoseConfig) {
    super({ prefix: 'checkpoint', ...opts });
    this.modelDir = join(opts.dir, MODEL_DIR);
    this.cfg = cfg;
  }

  override async save(epoch: number, contents: CheckpointContents, opts: { last?: boolean } = {}): Promise<string[]> {
    const written = await super.save(epoch, contents, opts);
    if (written.length > 0) {
      await savePoseModel(contents.model, this.modelDir, this.cfg, { epoch, globalStep: contents.meta.globalStep });
      written.push(this.modelDir);
    }
    return written;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  const s = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`checkpoint ${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
  });
  return s.isDirectory();
}

export interface LoadedPoseModel {
  model: tf.LayersModel;
  cfg: PoseConfig;
  /** What was read: a model directory, one of our training checkpoints, or official PyTorch weights. */
  kind: WeightsKind;
}

export type WeightsKind = 'model-dir' | 'checkpoint' | 'pytorch';

/** The config stored with a model directory or a training checkpoint, if any. */
export async function storedConfig(path: string): Promise<PoseConfig | undefined> {
  if (await isDirectory(path)) {
    const cfgFile = join(path, CONFIG_FILE);
    const text = await readFile(cfgFile, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    return parseConfig((JSON.parse(text) as { config?: unknown }).config, poseConfigSchema, cfgFile);
  }
  if (/\.safetensors$/i.test(path)) {
    const { metadata } = await readSafetensors(path);
    if (isTrainCheckpoint(metadata)) {
      const ckpt = await loadCheckpoint(path);
      if (ckpt.meta.config != null) return parseConfig(ckpt.meta.config, poseConfigSchema, `${path} (stored config)`);
    }
  }
  return undefined;
}

/**
 * Loads weights into `model` from a model directory written by training, one of our training checkpoints
 * (`checkpoint-epochNNNN.safetensors`), or official PyTorch weights (`.pth` / `.safetensors` state dict with the
 * official names, e.g. `pose_higher_hrnet_w32_512.pth`). Shapes must match.
 */
export async function loadPoseWeights(model: tf.LayersModel, path: string): Promise<WeightsKind> {
  if (await isDirectory(path)) {
    const artifacts = await dirLoadHandler(path).load!();
    const weights = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
    try {
      model.loadWeights(weights, true);
    } catch (err) {
      throw new Error(`${path}: the weights do not fit the network of the config (${(err as Error).message})`);
    } finally {
      tf.dispose(Object.values(weights));
    }
    return 'model-dir';
  }
  if (/\.safetensors$/i.test(path)) {
    const { metadata } = await readSafetensors(path);
    if (isTrainCheckpoint(metadata)) {
      restoreModelWeights(await loadCheckpoint(path), model);
      return 'checkpoint';
    }
  }
  await loadPytorchWeights(model, path, { naming: 'higherhrnet' });
  return 'pytorch';
}

/**
 * Builds the network of `cfg` (from `--cfg`) or of the config stored with the weights, and loads `path` into it
 * (see {@link loadPoseWeights}). PyTorch weights carry no config: `cfg` is required for them.
 */
export async function loadPoseModel(path: string, cfg?: PoseConfig): Promise<LoadedPoseModel> {
  const use = cfg ?? (await storedConfig(path));
  if (!use) throw new Error(`${path} stores no config (PyTorch weights, or a model directory without ${CONFIG_FILE}); pass the training config with --cfg`);
  const model = createHigherHRNet(networkConfig(use));
  try {
    return { model, cfg: use, kind: await loadPoseWeights(model, path) };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
