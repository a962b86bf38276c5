import { stat } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { loadPytorchWeights, readSafetensors } from '@hrnet/core';
import { createTopDownModel } from '@hrnet/heads';
import { isTrainCheckpoint, loadCheckpoint, parseConfig, restoreModelWeights } from '@hrnet/train';
import { familyConfig, topDownExampleSchema, type TopDownExampleConfig } from './config.js';

export type WeightsKind = 'checkpoint' | 'pytorch';

/**
 * Loads weights into `model`: one of our training checkpoints (`checkpoint-epochNNNN.safetensors`) or an MMPose
 * checkpoint (`.pth` / `.safetensors` state dict, `backbone.*` and `keypoint_head.*` names). Shapes must match.
 */
export async function loadTopDownWeights(model: tf.LayersModel, path: string): Promise<WeightsKind> {
  const s = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`checkpoint ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  if (!s.isFile()) throw new Error(`checkpoint ${path}: not a file (expected a checkpoint .safetensors or MMPose weights)`);
  if (/\.safetensors$/i.test(path) && isTrainCheckpoint((await readSafetensors(path)).metadata)) {
    restoreModelWeights(await loadCheckpoint(path), model);
    return 'checkpoint';
  }
  await loadPytorchWeights(model, path, { naming: 'hf-hrnet' });
  return 'pytorch';
}

/** The config stored in one of our training checkpoints, if `path` is one. */
async function storedConfig(path: string): Promise<TopDownExampleConfig | undefined> {
  if (!/\.safetensors$/i.test(path) || !isTrainCheckpoint((await readSafetensors(path)).metadata)) return undefined;
  const ckpt = await loadCheckpoint(path);
  return ckpt.meta.config != null ? parseConfig(ckpt.meta.config, topDownExampleSchema, `${path} (stored config)`) : undefined;
}

/** The network of `cfg` (or of the config stored in the checkpoint) with the weights of `path`. */
export async function loadTopDownModel(path: string, cfg?: TopDownExampleConfig): Promise<{ model: tf.LayersModel; cfg: TopDownExampleConfig; kind: WeightsKind }> {
  const use = cfg ?? (await storedConfig(path));
  if (!use) throw new Error(`${path} stores no config (MMPose weights); pass the training config with --cfg`);
  const model = createTopDownModel(familyConfig(use));
  try {
    return { model, cfg: use, kind: await loadTopDownWeights(model, path) };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
