import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadPytorchWeights } from '@hrnet/core';
import type { PoseConfig } from './config.js';

/**
 * `PoseHigherResolutionNet.init_weights`: every conv and transposed-conv kernel ~ N(0, 0.001), biases 0
 * (BatchNorm stays at weight 1 / bias 0). Every conv but the final prediction layers is followed by BatchNorm,
 * so the small scale only matters there: the heatmaps start at ~0 instead of the Kaiming init's ~±1, which
 * spares the first hundred updates of shrinking them.
 */
export function initPoseWeights(model: tf.LayersModel, seed = 0): void {
  let s = seed * 7919 + 1;
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (!/Conv/.test(kind)) continue;
    for (const w of layer.weights) {
      const name = w.originalName ?? w.name;
      const shape = w.shape as number[];
      const value = /kernel$/.test(name) ? tf.randomNormal(shape, 0, 0.001, 'float32', s++) : /bias$/.test(name) ? tf.zeros(shape) : undefined;
      if (!value) continue;
      w.write(value);
      value.dispose();
    }
  }
}

/**
 * MODEL.INIT_WEIGHTS / MODEL.PRETRAINED as the official `get_pose_net` does: the N(0, 0.001) init, then (when the
 * file exists; the path is relative to DATA_DIR like `update_config` makes it) every matching tensor of an ImageNet
 * HRNet checkpoint (`hrnet_w32-36af842e.pth`; PRETRAINED_LAYERS ['*']). Returns a line for the log.
 */
export async function initPoseModel(model: tf.LayersModel, cfg: PoseConfig): Promise<string> {
  if (!cfg.MODEL.INIT_WEIGHTS) return 'default initialisation (MODEL.INIT_WEIGHTS false)';
  initPoseWeights(model, cfg.TRAIN.SEED);
  const pretrained = cfg.MODEL.PRETRAINED;
  if (!pretrained) return 'N(0, 0.001) conv initialisation';
  const dataDir = typeof cfg.DATA_DIR === 'string' ? cfg.DATA_DIR : '';
  const file = isAbsolute(pretrained) ? pretrained : join(dataDir, pretrained);
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (!exists) return `N(0, 0.001) conv initialisation; MODEL.PRETRAINED ${file} not found, training from scratch`;
  const layers = cfg.MODEL.EXTRA.PRETRAINED_LAYERS;
  if (!(layers.length === 1 && layers[0] === '*')) throw new Error(`MODEL.EXTRA.PRETRAINED_LAYERS: only ['*'] is supported, got ${JSON.stringify(layers)}`);
  const report = await loadPytorchWeights(model, file, { naming: 'higherhrnet', strict: false });
  return `N(0, 0.001) conv initialisation, then ${report.loaded.length} tensors from ${file} (${report.missing.length} model tensors not in it, ${report.unexpected.length} unused)`;
}
