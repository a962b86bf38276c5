import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadPytorchWeights } from '@hrnet/core';
import type { PoseConfig } from './config.js';

/**
 * MODEL.PRETRAINED as the official `get_pose_net` does after its N(0, 0.001) init (which `createHigherHRNet` draws
 * from TRAIN.SEED when MODEL.INIT_WEIGHTS): when the file exists (the path is relative to DATA_DIR like
 * `update_config` makes it), every matching tensor of an ImageNet HRNet checkpoint (`hrnet_w32-36af842e.pth`;
 * PRETRAINED_LAYERS ['*']). Returns a line for the log.
 */
export async function loadPretrained(model: tf.LayersModel, cfg: PoseConfig): Promise<string> {
  if (!cfg.MODEL.INIT_WEIGHTS) return 'default initialisation (MODEL.INIT_WEIGHTS false)';
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
