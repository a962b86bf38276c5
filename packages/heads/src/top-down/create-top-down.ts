import * as tf from '@tensorflow/tfjs';
import { hfHrnetFeatures, hrnetFeatures, imageInput, withInitSeed } from '@hrnet/core';
import type { ModelOptions } from '../model-family.js';
import { initPoseConvWeights } from '../shared/normal-init.js';
import { topDownBackbone, type TopDownConfigInput } from './top-down-config.js';
import { topDownHead } from './top-down-head.js';
import { resolveTopDownConfig } from './top-down-presets.js';

export interface TopDownOptions extends ModelOptions {
  /** Model name; default the preset name, or 'top_down'. */
  name?: string;
}

/**
 * A top-down keypoint network (MMPose `TopDown`): the backbone of `model.backbone` (HF-HRNet's HUM network with its
 * IterativeHead, or HRNet's stage-4 branch 0) and `TopdownHeatmapSimpleHead`'s final conv, from a preset name
 * (`hf_hrnet_18_coco_256x192`, `hf_hrnet_30_coco_256x192`, `pose_hrnet_w32_256x192`, …) or a family config.
 *
 * Input NHWC float32 `[N, H, W, 3]`, by default fixed at the config's `image_size` (so a size the backbone cannot
 * take fails here, naming it); output NHWC heatmaps `[N, H/4, W/4, joints]`. Layer names are the PyTorch module
 * paths without MMPose's `backbone.` prefix; `loadPytorchWeights(model, file, { naming: 'hf-hrnet' })` strips it
 * from MMPose checkpoints. With `seed`, the official init (every conv N(0, 0.001), biases 0) is drawn from it.
 */
export function createTopDownModel(nameOrCfg: string | TopDownConfigInput, opts: TopDownOptions = {}): tf.LayersModel {
  const cfg = resolveTopDownConfig(nameOrCfg);
  const backbone = topDownBackbone(cfg.model);
  const [w, h] = cfg.image_size;
  const name = opts.name ?? (typeof nameOrCfg === 'string' ? nameOrCfg : 'top_down');
  const model = withInitSeed(opts.seed, () => {
    const input = imageInput({ inputShape: opts.inputShape ?? [h, w, 3] });
    const feature = backbone.family === 'hf-hrnet' ? hfHrnetFeatures(input, backbone.cfg) : hrnetFeatures(input, backbone.cfg, { multiScaleOutput: false })[0]!;
    return tf.model({ inputs: input, outputs: topDownHead(feature, cfg.model.keypoint_head), name });
  });
  if (opts.seed !== undefined) initPoseConvWeights(model, opts.seed);
  return model;
}
