import * as tf from '@tensorflow/tfjs';
import { torchResizeBilinear } from '@hrnet/core';
import type { LossTerms } from '../head.js';
import { createSegmentationLoss, type SegmentationBatch, type SegmentationLossOptions } from './segmentation-loss.js';
import { scoresToLabels } from './segment-image.js';

/**
 * What @hrnet/train's Trainer drives (structurally core's `Task`): the model, how a batch becomes its input,
 * the loss, and how outputs become results.
 */
export interface SegmentationTask {
  name: string;
  model: tf.LayersModel;
  inputs(batch: SegmentationBatch): tf.Tensor;
  loss(outputs: tf.Tensor[], batch: SegmentationBatch): LossTerms;
  /** Train-id map [N, H, W] (int32) at the batch's label size: logits resized as the reference validates. */
  decode(outputs: tf.Tensor[], batch: SegmentationBatch): tf.Tensor3D;
}

export interface SegmentationTaskOptions extends SegmentationLossOptions {
  model: tf.LayersModel;
}

/** The segmentation task over a {@link createSegmenter} model: cross-entropy or OHEM at label size. */
export function segmentationTask({ model, ...lossOpts }: SegmentationTaskOptions): SegmentationTask {
  return {
    name: 'segmentation',
    model,
    inputs: (batch) => batch.images,
    loss: createSegmentationLoss(lossOpts),
    decode: (outputs, batch) =>
      tf.tidy(() => scoresToLabels(torchResizeBilinear(outputs[0] as tf.Tensor4D, [batch.labels.shape[1], batch.labels.shape[2]], lossOpts.alignCorners))),
  };
}
