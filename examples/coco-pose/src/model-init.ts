import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadPytorchWeights } from '@hrnet/core';
import { fetchPretrained } from '@hrnet/heads';
import type { PoseConfig } from './config.js';

export interface PretrainedBackboneOptions {
  /** `--pretrained [tag]`: timm's published ImageNet `hrnet_w<C>` (C = the first stage-2 width) instead of the MODEL.PRETRAINED file. */
  pretrained?: true | string;
  log?: (line: string) => void;
}

/**
 * MODEL.PRETRAINED as the official `get_pose_net` does after its N(0, 0.001) init (which `createHigherHRNet` draws
 * from TRAIN.SEED when MODEL.INIT_WEIGHTS): every matching tensor of an ImageNet HRNet checkpoint
 * (`hrnet_w32-36af842e.pth`, the path relative to DATA_DIR like `update_config` makes it; PRETRAINED_LAYERS
 * ['*']). A named file that is missing is an error (MODEL.PRETRAINED '' trains from scratch); `--pretrained`
 * takes timm's published conversion of the same weights instead. Returns a line for the log.
 */
export async function loadPretrained(model: tf.LayersModel, cfg: PoseConfig, opts: PretrainedBackboneOptions = {}): Promise<string> {
  if (!cfg.MODEL.INIT_WEIGHTS) return 'default initialisation (MODEL.INIT_WEIGHTS false)';
  const width = cfg.MODEL.EXTRA.STAGE2.NUM_CHANNELS[0];
  let file: string;
  if (opts.pretrained) {
    file = await fetchPretrained(`hrnet_w${width}`, { pretrained: opts.pretrained, log: opts.log }).catch((err: Error) => {
      throw new Error(`--pretrained: ${err.message}`);
    });
  } else {
    const pretrained = cfg.MODEL.PRETRAINED;
    if (!pretrained) return 'N(0, 0.001) conv initialisation';
    const dataDir = typeof cfg.DATA_DIR === 'string' ? cfg.DATA_DIR : '';
    file = isAbsolute(pretrained) ? pretrained : join(dataDir, pretrained);
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (!exists) {
      throw new Error(
        `MODEL.PRETRAINED ${file} not found: download the ImageNet HRNet checkpoint there (HRNet-Image-Classification's model zoo), ` +
          `or pass --pretrained to download timm's hrnet_w${width} instead, or set MODEL.PRETRAINED '' to train from scratch`,
      );
    }
  }
  const layers = cfg.MODEL.EXTRA.PRETRAINED_LAYERS;
  if (!(layers.length === 1 && layers[0] === '*')) throw new Error(`MODEL.EXTRA.PRETRAINED_LAYERS: only ['*'] is supported, got ${JSON.stringify(layers)}`);
  const report = await loadPytorchWeights(model, file, { naming: 'higherhrnet', strict: false });
  return `N(0, 0.001) conv initialisation, then ${report.loaded.length} tensors from ${file} (${report.missing.length} model tensors not in it, ${report.unexpected.length} unused)`;
}
