import type { ModelFamily } from '../model-family.js';
import { createTopDownModel, type TopDownOptions } from './create-top-down.js';
import type { TopDownConfigInput } from './top-down-config.js';
import { listTopDownPresets, topDownInfo } from './top-down-presets.js';

/** Top-down heatmap pose (MMPose `TopDown` with `TopdownHeatmapSimpleHead`): HF-HRNet and HRNet-W32 on COCO person crops. */
export const topDownFamily: ModelFamily<TopDownConfigInput, TopDownOptions> = {
  name: 'top-down',
  presets: listTopDownPresets,
  info: topDownInfo,
  create: createTopDownModel,
};
