import * as tf from '@tensorflow/tfjs';
import type { EncodedBatch, Task } from '@hrnet/core';
import { HigherHrnetCodec } from './codec.js';
import type { DecodedPoses, PoseDecodeMeta, PoseHeadDecodeOptions } from './decode-poses.js';
import type { HigherHrnetConfig, HigherHrnetConfigInput } from './higher-hrnet-config.js';
import { createHigherHrnetLoss, type HigherHrnetTargets } from './multi-loss.js';

/** A HigherHRNet task: the {@link Task} plus the codec that makes its batches' targets. */
/** Decoding one image needs where its outputs sit in it: `meta` from `poseDecodeMeta(width, height, inputSize, scales)`. */
export interface HigherHrnetDecodeOptions extends PoseHeadDecodeOptions {
  meta: PoseDecodeMeta;
}

export interface HigherHrnetTask extends Task<EncodedBatch, DecodedPoses, HigherHrnetDecodeOptions> {
  readonly codec: HigherHrnetCodec;
}

/** The loss targets of a batch encoded by {@link HigherHrnetCodec} (channels-last heatmaps), as tensors (call inside a tidy scope). */
export function higherHrnetBatchTargets(b: EncodedBatch, codec: HigherHrnetCodec): HigherHrnetTargets {
  const { heatmaps, masks, joints } = b.targets;
  if (!heatmaps || !masks || !joints) throw new Error(`HigherHRNet task: the batch has targets ${Object.keys(b.targets).join(', ')}, expected heatmaps, masks, joints`);
  return {
    heatmaps: heatmaps.map((h) => tf.tensor(h.data, h.shape)),
    heatmapsLayout: codec.targets.heatmapLayout === 'JHW' ? 'NJHW' : 'NHWC',
    masks: masks.map((m) => tf.tensor(m.data, m.shape)),
    // Host indices: the tag loss reads them on the CPU anyway.
    joints: joints.map((j) => ({ values: j.data, shape: j.shape as [number, number, number, number] })),
  };
}

/**
 * HigherHRNet bottom-up pose estimation as a {@link Task}: inputs = the batch's images, loss = MultiLossFactory
 * (`createHigherHrnetLoss`: per-output heatmap MSE and associative-embedding push / pull, the terms trainer.py
 * logs), decode = the codec's pose decoding. `codec` encodes the targets the data pipeline batches.
 */
export function higherHrnetTask(
  model: tf.LayersModel,
  nameOrConfig: string | HigherHrnetConfigInput | HigherHrnetConfig,
  codec?: HigherHrnetCodec,
): HigherHrnetTask {
  if (!codec && typeof nameOrConfig !== 'string') throw new Error('higherHrnetTask: pass the codec (its DATASET targets) with a config; a preset name brings its own');
  codec ??= HigherHrnetCodec.fromPreset(nameOrConfig as string);
  const loss = createHigherHrnetLoss(nameOrConfig);
  return {
    name: `higher-hrnet:${model.name}`,
    model,
    codec,
    inputs: (b) => tf.tensor4d(b.images, b.imageShape),
    loss: (outputs, b) => {
      const { total, terms } = loss(outputs, higherHrnetBatchTargets(b, codec));
      return { total, terms };
    },
    decode: (outputs, opts) => {
      if (!opts?.meta) throw new Error('HigherHRNet task: decode needs { meta: poseDecodeMeta(width, height, inputSize, scales) }');
      return codec.decode(outputs, opts.flippedOutputs, opts.meta, opts);
    },
  };
}
