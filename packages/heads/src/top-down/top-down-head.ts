import { channelsOf, conv, type Sym } from '@hrnet/core';
import type { TopDownModelConfig } from './top-down-config.js';

/**
 * MMPose's `TopdownHeatmapSimpleHead` as the HRNet and HF-HRNet configs use it (`num_deconv_layers=0`,
 * `final_conv_kernel` 1 or 3): one conv with bias from the backbone's 1/4 map to one heatmap per joint,
 * named `keypoint_head.final_layer` as in MMPose checkpoints.
 */
export function topDownHead(feature: Sym, head: TopDownModelConfig['keypoint_head']): Sym {
  const c = channelsOf(feature);
  if (c !== head.in_channels) throw new Error(`model.keypoint_head.in_channels is ${head.in_channels}, the backbone gives ${c} channels`);
  const k = head.extra.final_conv_kernel;
  return conv(feature, 'keypoint_head.final_layer', { filters: head.out_channels, kernelSize: k, padding: k === 3 ? 1 : 0, useBias: true });
}
