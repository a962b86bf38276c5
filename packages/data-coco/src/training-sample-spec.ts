import { createRng, ImageDecodeError, type EncodedTargets, type KeypointEncoder, type Rng } from '@hrnet/core';
import type { CocoKeypointAnnotation } from './coco-keypoints-schema.js';
import { decodeRgb } from './decode-image.js';
import { validPixelMask } from './ignore-mask.js';
import { drawAffineParams, type AffineParams } from './random-affine.js';
import { transformSample, type KeypointPipelineConfig, type TransformedSample } from './keypoint-sample.js';
import { jointsFromKeypoints } from './transform-joints.js';

/** The annotation fields the training pipeline reads. */
export type SampleAnnotation = Pick<CocoKeypointAnnotation, 'iscrowd' | 'num_keypoints' | 'keypoints' | 'bbox' | 'segmentation'>;

/**
 * Everything needed to make one training sample, as plain data (structured-cloneable, so a worker
 * thread can make the sample without the annotation file).
 */
export interface SampleSpec {
  /** Position in the dataset's image list. */
  index: number;
  imageId: number;
  /** Absolute path of the image file. */
  path: string;
  /** Size from the annotation file; the decoded image must match. */
  width: number;
  height: number;
  /** All annotations of the image (crowd and keypoint-less ones included: they make the ignore mask). */
  annotations: SampleAnnotation[];
  /** Pixel budget of the decode (see decodeRgb). */
  maxPixels?: number;
}

/** One training sample: the augmented sample and the encoder's targets for it. */
export interface TrainingSample extends TransformedSample {
  targets: EncodedTargets;
}

/**
 * Decodes the image of `spec` and builds its training sample (the encoder makes the targets): ignore mask from crowd and
 * keypoint-less annotations, people kept for targets = `iscrowd == 0 || num_keypoints > 0`
 * (`CocoKeypoints.__getitem__`), augmentation drawn from `rng` unless `params` are given.
 */
export async function makeTrainingSample(
  spec: SampleSpec,
  config: KeypointPipelineConfig,
  encoder: KeypointEncoder,
  rngOrParams: Rng | number | AffineParams,
): Promise<TrainingSample> {
  const image = await decodeRgb(spec.path, { maxPixels: spec.maxPixels });
  if (image.width !== spec.width || image.height !== spec.height) {
    throw new ImageDecodeError(
      spec.path,
      new Error(`decoded size ${image.width}x${image.height} differs from the annotation's ${spec.width}x${spec.height}`),
    );
  }
  const validMask = validPixelMask(spec.annotations, spec.height, spec.width);
  const kept = spec.annotations.filter((a) => a.iscrowd === 0 || a.num_keypoints > 0);
  const joints = jointsFromKeypoints(
    kept.map((a) => a.keypoints),
    config.numJoints,
  );
  let params: AffineParams;
  if (typeof rngOrParams === 'number') params = drawAffineParams(createRng(rngOrParams), image.width, image.height, config.augment);
  else if ('next' in rngOrParams) params = drawAffineParams(rngOrParams, image.width, image.height, config.augment);
  else params = rngOrParams;
  const t = transformSample({ image, validMask, joints, people: kept.length, boxes: kept.map((a) => a.bbox) }, params, config, encoder.targetSizes);
  return { ...t, targets: encoder.encode(t.sample) };
}
