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
};
