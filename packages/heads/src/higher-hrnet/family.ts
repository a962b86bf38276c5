import type { ModelFamily } from '../model-family.js';
import { createHigherHRNet, type HigherHrnetOptions } from './higher-hrnet.js';
import type { HigherHrnetConfigInput } from './higher-hrnet-config.js';
import { higherHrnetInfo, listHigherHrnetPresets } from './higher-hrnet-presets.js';

/** HigherHRNet bottom-up pose (HRNet/HigherHRNet-Human-Pose-Estimation's published configs). */
export const higherHrnetFamily: ModelFamily<HigherHrnetConfigInput, HigherHrnetOptions> = {
  name: 'higher-hrnet',
  presets: listHigherHrnetPresets,
  info: higherHrnetInfo,
  create: createHigherHRNet,
  manualWeights:
    "the official checkpoints (pose_higher_hrnet_w32_512.pth, …) are in the model zoo of HRNet/HigherHRNet-Human-Pose-Estimation (Google Drive / OneDrive links in its README): download one by hand and load it with loadPytorchWeights(model, file, { naming: 'higherhrnet' }) (examples/coco-pose: --ckpt_path, or MODEL.PRETRAINED for the ImageNet backbone)",
};
