import * as tf from '@tensorflow/tfjs';
import type { EncodedBatch, Point2, Task } from '@hrnet/core';
import { jointsMseLoss } from './joints-mse-loss.js';
import { MsraHeatmapCodec } from './msra-heatmap-codec.js';
import type { TopDownConfig, TopDownConfigInput } from './top-down-config.js';
import { resolveTopDownConfig } from './top-down-presets.js';

/** Decoding a batch needs where each crop sits in its image, and optionally the mirrored pass's outputs (flip test). */
export interface TopDownDecodeOptions {
  centers: readonly Point2[];
  scales: readonly Point2[];
  flippedOutputs?: tf.Tensor[];
}

/** A top-down task: the {@link Task} plus the codec that makes its batches' targets. */
export interface TopDownTask extends Task<EncodedBatch, Float32Array[], TopDownDecodeOptions> {
  readonly codec: MsraHeatmapCodec;
}

/**
 * Top-down heatmap pose as a {@link Task}: inputs = the batch's crops, loss = `JointsMSELoss` (with the config's
 * `use_target_weight` and `loss_weight`) of the heatmaps against the codec's `heatmaps` / `target_weight` targets,
 * decode = per crop `[x, y, score] x J` in image pixels (flip test when the mirrored outputs are given).
 */
export function topDownTask(model: tf.LayersModel, nameOrConfig: string | TopDownConfigInput | TopDownConfig, codec?: MsraHeatmapCodec): TopDownTask {
  const cfg = resolveTopDownConfig(nameOrConfig as string | TopDownConfigInput);
  const c = codec ?? MsraHeatmapCodec.fromConfig(cfg);
  const lossCfg = cfg.model.keypoint_head.loss_keypoint;
  return {
    name: `top-down:${model.name}`,
    model,
    codec: c,
    inputs: (b) => tf.tensor4d(b.images, b.imageShape),
    loss: (outputs, b) => {
      const { heatmaps, target_weight: weights } = b.targets;
      if (!heatmaps?.[0] || !weights?.[0]) throw new Error(`top-down task: the batch has targets ${Object.keys(b.targets).join(', ')}, expected heatmaps, target_weight`);
      const total = tf.tidy(() =>
        jointsMseLoss(outputs[0]!, tf.tensor(heatmaps[0]!.data, heatmaps[0]!.shape), tf.tensor(weights[0]!.data, weights[0]!.shape), {
          useTargetWeight: lossCfg.use_target_weight,
          lossWeight: lossCfg.loss_weight,
        }),
      );
      return { total, terms: { heatmap_loss: total } };
    },
    decode: async (outputs, opts) => {
      if (!opts?.centers || !opts.scales) throw new Error('top-down task: decode needs { centers, scales } of the batch crops');
      const avg = tf.tidy(() => (opts.flippedOutputs ? tf.mul(tf.add(outputs[0]!, c.flipBack(opts.flippedOutputs[0] as tf.Tensor4D)), 0.5) : outputs[0]!.clone()));
      const values = (await avg.data()) as Float32Array;
      avg.dispose();
      const n = values.length / opts.centers.length;
      return opts.centers.map((center, k) => c.decode(values.subarray(k * n, (k + 1) * n), center, opts.scales[k]!));
    },
  };
}
