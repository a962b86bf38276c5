import { expectFeatures, type Head } from '../head.js';
import type { HigherHrnetConfig } from './higher-hrnet-config.js';
import { deconvStage } from './deconv-stage.js';
import { poseFinalLayer } from './pose-final-layers.js';

/**
 * The HigherHRNet head as a {@link Head}: it takes the 1/4-resolution feature (the only output of a backbone
 * built with `multiScaleOutput: false`; further features are ignored) and returns one output per resolution,
 * [y0 at 1/4 (heatmaps + tags), y1 at 1/2, …], NHWC.
 *
 *   y0 = final_layers.0(x)
 *   for each deconv i: x = deconv_layers.i(cat([x, y_i]) or x); y_{i+1} = final_layers.{i+1}(x)
 */
export function higherHrnetHead(cfg: HigherHrnetConfig): Head {
  const { NUM_JOINTS: numJoints, TAG_PER_JOINT, EXTRA } = cfg.MODEL;
  const tagDim = TAG_PER_JOINT ? numJoints : 1;
  const withTags = cfg.LOSS.WITH_AE_LOSS;
  const kernel = EXTRA.FINAL_CONV_KERNEL;
  const d = EXTRA.DECONV;
  return (features, featureInfo) => {
    expectFeatures('higherHrnetHead', features, featureInfo, { min: 1, firstReduction: 4 });
    let x = features[0];
    let y = poseFinalLayer(x, 0, { numJoints, tagDim, withTags: withTags[0], kernel });
    const outputs = [y];
    for (let i = 0; i < d.NUM_DECONVS; i++) {
      x = deconvStage(x, y, { index: i, channels: d.NUM_CHANNELS[i], kernel: d.KERNEL_SIZE[i], numBasicBlocks: d.NUM_BASIC_BLOCKS, catOutput: d.CAT_OUTPUT[i] });
      y = poseFinalLayer(x, i + 1, { numJoints, tagDim, withTags: withTags[i + 1], kernel });
      outputs.push(y);
    }
    return outputs;
  };
}
