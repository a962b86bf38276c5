import type * as tf from '@tensorflow/tfjs';
import { hrnetFeatureInfo, hrnetFeatures, imageInput } from '@hrnet/core';
import { composeHeadModel } from '../head.js';
import type { ModelOptions } from '../model-family.js';
import { higherHrnetBackboneConfig, type HigherHrnetConfigInput } from './higher-hrnet-config.js';
import { higherHrnetHead } from './higher-hrnet-head.js';
import { resolveHigherHrnetConfig } from './higher-hrnet-presets.js';
import { initPoseConvWeights } from '../shared/normal-init.js';

export interface HigherHrnetOptions extends ModelOptions {
  /** Model name; default the preset name, or 'pose_higher_hrnet'. */
  name?: string;
}

/**
 * PoseHigherResolutionNet (HRNet/HigherHRNet-Human-Pose-Estimation) from a preset name
 * (`higherhrnet_w32_512`, `higherhrnet_w32_640`, `higherhrnet_w48_640`) or an official config
 * ({ MODEL, LOSS } with upper-case keys, see {@link parseHigherHrnetConfig}).
 *
 * Input NHWC float32 [N, H, W, 3] (normalized RGB; H and W multiples of 32, non-square fine). Outputs NHWC, one
 * per resolution: [y0 [N, H/4, W/4, J + tags], y1 [N, H/2, W/2, J], …]. Layer names are the official
 * state-dict paths (`conv1`, `layer1.0.conv1`, `stage4.2.fuse_layers.0.1.0`, `final_layers.0`,
 * `deconv_layers.0.0.0`, …), so `loadPytorchWeights(model, file, { naming: 'higherhrnet' })` loads the
 * published checkpoints. With `seed` and MODEL.INIT_WEIGHTS (default true), the official `init_weights` is drawn
 * from it (loading MODEL.PRETRAINED is file I/O, left to the caller).
 */
export function createHigherHRNet(nameOrCfg: string | HigherHrnetConfigInput, opts: HigherHrnetOptions = {}): tf.LayersModel {
  const cfg = resolveHigherHrnetConfig(nameOrCfg);
  const backbone = higherHrnetBackboneConfig(cfg);
  const input = imageInput(opts);
  // The last stage-4 module fuses into the 1/4 branch only (multi_scale_output=False).
  const features = hrnetFeatures(input, backbone, { multiScaleOutput: false });
  const featureInfo = hrnetFeatureInfo(backbone).slice(0, features.length);
  const name = opts.name ?? (typeof nameOrCfg === 'string' ? nameOrCfg : 'pose_higher_hrnet');
  const model = composeHeadModel({ input, features, featureInfo, head: higherHrnetHead(cfg), name });
  if (opts.seed !== undefined && cfg.MODEL.INIT_WEIGHTS) initPoseConvWeights(model, opts.seed);
  return model;
}
