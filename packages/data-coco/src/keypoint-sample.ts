import { COCO_FLIP_INDEX, IMAGENET_MEAN, IMAGENET_STD, normalizeImage, warpAffine, type KeypointSample, type RawImage } from '@hrnet/core';
import { flipImageHorizontal, flipJoints } from './horizontal-flip.js';
import { affineMatrix, DEFAULT_AFFINE_AUGMENT, type AffineAugmentConfig, type AffineParams } from './random-affine.js';
import { transformJoints } from './transform-joints.js';
import { maskTo255, warpMask255 } from './warp-mask.js';

/** What the sample pipeline does before a family's encoder sees a sample (the model's preprocessing and the augmentation). */
export interface KeypointPipelineConfig {
  /** Side of the square network input. */
  inputSize: number;
  /** Joints per person (17 for COCO). */
  numJoints: number;
  /** Left/right permutation used by the flip. */
  flipIndex: readonly number[];
  /** The random affine draw (rotation, scale range, scale type, translation, flip probability). */
  augment: AffineAugmentConfig;
  /** Normalisation (ImageNet values by default). */
  mean: readonly number[];
  std: readonly number[];
}

export type KeypointPipelineConfigInput = Partial<Omit<KeypointPipelineConfig, 'augment'>> & { inputSize: number; augment?: Partial<AffineAugmentConfig> };

/** Fills in the defaults (COCO's 17 joints and flip permutation, ImageNet mean / std, the default augmentation) and checks them. */
export function resolvePipelineConfig(input: KeypointPipelineConfigInput): KeypointPipelineConfig {
  const cfg: KeypointPipelineConfig = {
    numJoints: 17,
    flipIndex: COCO_FLIP_INDEX,
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    ...input,
    augment: { ...DEFAULT_AFFINE_AUGMENT, ...input.augment },
  };
  if (!Number.isInteger(cfg.inputSize) || cfg.inputSize <= 0) throw new Error(`inputSize must be a positive integer, got ${cfg.inputSize}`);
  if (cfg.flipIndex.length !== cfg.numJoints) throw new Error(`flipIndex has ${cfg.flipIndex.length} entries for ${cfg.numJoints} joints`);
  if (cfg.mean.length !== cfg.std.length) throw new Error('mean and std must have the same length');
  return cfg;
}

/** What one sample needs before augmentation, at the image's own resolution. */
export interface SampleSource {
  /** Decoded RGB (channels 3) pixels. */
  image: RawImage;
  /** 0/1 per pixel, row-major, 1 = counted by the loss ({@link validPixelMask}). */
  validMask: Uint8Array;
  /** `people * numJoints * 3` `[x, y, v]` of the people kept for targets. */
  joints: Float64Array;
  people: number;
  /** Per-person bbox `[x, y, w, h]`. */
  boxes?: readonly ArrayLike<number>[];
}

/** One augmented sample (what the encoder receives) with the augmented input before normalisation, for inspection. */
export interface TransformedSample {
  sample: KeypointSample;
  /** The augmented input, HWC uint8. */
  warpedImage: Uint8Array;
  params: AffineParams;
}

/**
 * Augments a decoded image with its annotations for one draw of the augmentation (`params`; draw it with
 * {@link drawAffineParams} or pass recorded values): affine warps of the masks and joints at every target size
 * (the encoder's `targetSizes`), then of the image at the input size, the optional flip, ToTensor + Normalize —
 * the reference's steps and order.
 */
export function transformSample(src: SampleSource, params: AffineParams, config: KeypointPipelineConfig, targetSizes: readonly number[]): TransformedSample {
  const { image, validMask, joints, people } = src;
  const J = config.numJoints;
  if (image.channels !== 3) throw new Error(`expected an RGB image, got ${image.channels} channels`);
  if (joints.length !== people * J * 3) throw new Error(`joints hold ${joints.length} numbers, ${people} people need ${people * J * 3}`);
  if (validMask.length !== image.width * image.height) throw new Error('valid mask and image sizes differ');
  for (const s of targetSizes) if (!Number.isInteger(s) || s <= 0) throw new Error(`target sizes must be positive integers, got ${s}`);

  const mask255 = maskTo255(validMask);
  const maps = targetSizes.map((res) => {
    const m = affineMatrix(params, res);
    const mask = warpMask255(mask255, image.width, image.height, m, res);
    let coords = transformJoints(joints, m);
    if (params.flip) {
      flipImageHorizontal(mask, res, res, 1);
      coords = flipJoints(coords, people, J, res, config.flipIndex);
    }
    return { size: res, mask, joints: coords };
  });

  const R = config.inputSize;
  const warped = warpAffine(image, affineMatrix(params, R), R, R);
  if (params.flip) flipImageHorizontal(warped, R, R, 3);
  const normalized = normalizeImage(warped, undefined, config.mean, config.std);
  return {
    sample: { image: normalized, inputSize: R, numJoints: J, people, maps, boxes: src.boxes ?? [], augScale: params.augScale },
    warpedImage: warped,
    params,
  };
}
