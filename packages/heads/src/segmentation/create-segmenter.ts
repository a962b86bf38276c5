import type * as tf from '@tensorflow/tfjs';
import { hrnetFeatureInfo, hrnetFeatures, imageInput, type InputOptions } from '@hrnet/core';
import { composeHeadModel } from '../head.js';
import { resolveSegNetwork, type SegExtraInput } from './seg-config.js';
import { registerSegNaming } from './seg-naming.js';
import { segmentationHead } from './segmentation-head.js';

export interface SegmenterOptions extends InputOptions {
  /** DATASET.NUM_CLASSES (19 for Cityscapes). */
  numClasses: number;
  /** MODEL.ALIGN_CORNERS: bilinear resizes of the fuse layers, the head (and the loss / inference). */
  alignCorners: boolean;
  /** Model name; default the registry name or 'seg_hrnet'. */
  name?: string;
}

/**
 * HRNetV2 semantic segmentation (HRNet-Semantic-Segmentation `seg_hrnet.HighResolutionNet`) from a registry
 * name of @hrnet/core (`hrnet_w18`, `hrnet_w48`, …) or the official `MODEL.EXTRA` block.
 *
 * Input NHWC float32 [N, H, W, 3] (normalized RGB, any H, W: fuse layers resize to the exact branch sizes).
 * Output: logits [N, ceil(H/4), ceil(W/4), numClasses] NHWC, as the official `forward` (no upsampling; the
 * loss and inference resize them). Layer names are the official state-dict paths, so
 * `loadPytorchWeights(model, file, { naming: 'hrnet-seg' })` loads published checkpoints.
 */
export function createSegmenter(nameOrExtra: string | SegExtraInput, opts: SegmenterOptions): tf.LayersModel {
  if (!Number.isInteger(opts?.numClasses) || opts.numClasses < 1) {
    throw new Error(`createSegmenter: numClasses must be a positive integer, got ${opts?.numClasses}`);
  }
  if (typeof opts.alignCorners !== 'boolean') throw new Error(`createSegmenter: alignCorners must be true or false, got ${opts.alignCorners}`);
  registerSegNaming();
  const { backbone, finalConvKernel } = resolveSegNetwork(nameOrExtra);
  const input = imageInput(opts);
  const features = hrnetFeatures(input, backbone, { fuseUpsample: { mode: 'bilinear', alignCorners: opts.alignCorners }, transitionFrom: 'own' });
  return composeHeadModel({
    input,
    features,
    featureInfo: hrnetFeatureInfo(backbone),
    head: segmentationHead({ numClasses: opts.numClasses, alignCorners: opts.alignCorners, finalConvKernel }),
    name: opts.name ?? (typeof nameOrExtra === 'string' ? nameOrExtra : 'seg_hrnet'),
  });
}
