import * as tf from '@tensorflow/tfjs';
import { bn, conv, relu, resizeBilinearTo, type FeatureInfo, type Sym } from '@hrnet/core';
import { expectFeatures, type Head } from '../head.js';

export interface SegmentationHeadOptions {
  numClasses: number;
  /** MODEL.ALIGN_CORNERS of the resize that brings branches 1–3 to branch 0's size. */
  alignCorners: boolean;
  /** FINAL_CONV_KERNEL of the classifier: 1 (padding 0) or 3 (padding 1). Default 1. */
  finalConvKernel?: 1 | 3;
}

/**
 * The HRNetV2 head of seg_hrnet.py: every branch bilinearly resized to the highest resolution, concatenated in
 * branch order (C = ΣCi), `last_layer` = 1×1 conv (bias) → BN → ReLU → K×K conv to the classes (bias).
 * Output: logits at the resolution of the first feature (1/4 of the input), NHWC.
 */
export function segmentationHead({ numClasses, alignCorners, finalConvKernel = 1 }: SegmentationHeadOptions): Head {
  return (features: Sym[], info: FeatureInfo[]) => {
    expectFeatures('HRNetV2 segmentation head', features, info, { min: 1 });
    const [x0, ...rest] = features;
    const ups = rest.map((x, i) => resizeBilinearTo(x, x0, `upsample.${i + 1}`, alignCorners));
    const cat = ups.length ? (tf.layers.concatenate({ axis: -1, name: 'concat' }).apply([x0, ...ups]) as Sym) : x0;
    const width = info.reduce((sum, f) => sum + f.channels, 0);
    const h = relu(bn(conv(cat, 'last_layer.0', { filters: width, kernelSize: 1, useBias: true }), 'last_layer.1'), 'last_layer.2');
    return [conv(h, 'last_layer.3', { filters: numClasses, kernelSize: finalConvKernel, useBias: true })];
  };
}
