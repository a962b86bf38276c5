import * as tf from '@tensorflow/tfjs';
import { torchResizeBilinear, type Task } from '@hrnet/core';
import { createSegmentationLoss, type SegmentationBatch, type SegmentationLossOptions } from './segmentation-loss.js';
import { scoresToLabels } from './segment-image.js';

/** The segmentation task: decode gives the train-id map [N, H, W] (int32) at the batch's label size, logits resized as the reference validates. */
export interface SegmentationTask extends Task<SegmentationBatch, tf.Tensor3D, SegmentationBatch> {
  /** Without a batch the map has the input size (4x the 1/4-resolution logits). */
  decode(outputs: tf.Tensor[], batch?: SegmentationBatch): tf.Tensor3D;
}

export interface SegmentationTaskOptions extends SegmentationLossOptions {
  model: tf.LayersModel;
}

function labelSize(logits: tf.Tensor, batch?: SegmentationBatch): [number, number] {
  return batch ? [batch.labels.shape[1], batch.labels.shape[2]] : [logits.shape[1]! * 4, logits.shape[2]! * 4];
}

/** The segmentation task over a {@link createSegmenter} model: cross-entropy or OHEM at label size. */
export function segmentationTask({ model, ...lossOpts }: SegmentationTaskOptions): SegmentationTask {
  return {
    name: 'segmentation',
    model,
    inputs: (batch) => batch.images,
    loss: createSegmentationLoss(lossOpts),
    decode: (outputs, batch) =>
      tf.tidy(() => scoresToLabels(torchResizeBilinear(outputs[0] as tf.Tensor4D, labelSize(outputs[0], batch), lossOpts.alignCorners))),
  };
}
