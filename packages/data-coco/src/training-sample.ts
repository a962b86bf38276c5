import { warpAffine, type RawImage } from '@hrnet/core';
import { generateHeatmaps, generateScaleAwareHeatmaps, scaleAwareSigma } from './heatmap-target.js';
import { COCO_FLIP_INDEX, flipImageHorizontal, flipJoints } from './horizontal-flip.js';
import { generateJointIndices } from './joints-target.js';
import { normalizeImage } from './normalize-image.js';
import { affineMatrix, DEFAULT_AFFINE_AUGMENT, type AffineAugmentConfig, type AffineParams } from './random-affine.js';
import { transformJoints } from './transform-joints.js';
import { maskTo255, warpMask255 } from './warp-mask.js';

/** The DATASET block of a HigherHRNet config, as far as the training targets need it. */
export interface HigherHrnetDataConfig {
  /** DATASET.INPUT_SIZE: side of the square network input. */
  inputSize: number;
  /** DATASET.OUTPUT_SIZE: sides of the target maps, one per network output (e.g. [128, 256]). */
  outputSizes: readonly number[];
  /** MODEL.NUM_JOINTS. */
  numJoints: number;
  /** DATASET.SIGMA (output pixels, same for every size). */
  sigma: number;
  /** DATASET.MAX_NUM_PEOPLE: rows of the joint-index target. */
  maxPeople: number;
  /** MODEL.TAG_PER_JOINT. */
  tagPerJoint: boolean;
  /** Left/right permutation used by the flip. */
  flipIndex: readonly number[];
  /** DATASET.SCALE_AWARE_SIGMA with BASE_SIZE / BASE_SIGMA / INT_SIGMA. */
  scaleAwareSigma: boolean;
  baseSize: number;
  baseSigma: number;
  intSigma: boolean;
  /** The random affine draw (rotation, scale range, scale type, translation, flip probability). */
  augment: AffineAugmentConfig;
  /** Normalisation (torchvision ImageNet values by default). */
  mean: readonly number[];
  std: readonly number[];
}

/** `experiments/coco/higher_hrnet/w32_512_adam_lr1e-3.yaml`. */
export const HIGHER_HRNET_W32_512_DATA: Readonly<HigherHrnetDataConfig> = Object.freeze({
  inputSize: 512,
  outputSizes: Object.freeze([128, 256]),
  numJoints: 17,
  sigma: 2,
  maxPeople: 30,
  tagPerJoint: true,
  flipIndex: COCO_FLIP_INDEX,
  scaleAwareSigma: false,
  baseSize: 256,
  baseSigma: 2,
  intSigma: false,
  augment: DEFAULT_AFFINE_AUGMENT,
  mean: Object.freeze([0.485, 0.456, 0.406]),
  std: Object.freeze([0.229, 0.224, 0.225]),
});

export type HigherHrnetDataConfigInput = Partial<Omit<HigherHrnetDataConfig, 'augment'>> & { augment?: Partial<AffineAugmentConfig> };

/** Fills in defaults (w32_512) and checks the sizes; output sizes default to input/4 and input/2. */
export function resolveDataConfig(input: HigherHrnetDataConfigInput = {}): HigherHrnetDataConfig {
  const inputSize = input.inputSize ?? HIGHER_HRNET_W32_512_DATA.inputSize;
  const outputSizes = input.outputSizes ?? (input.inputSize === undefined ? HIGHER_HRNET_W32_512_DATA.outputSizes : [inputSize / 4, inputSize / 2]);
  const cfg: HigherHrnetDataConfig = {
    ...HIGHER_HRNET_W32_512_DATA,
    ...input,
    inputSize,
    outputSizes: [...outputSizes],
    augment: { ...DEFAULT_AFFINE_AUGMENT, ...input.augment },
  } as HigherHrnetDataConfig;
  for (const s of [cfg.inputSize, ...cfg.outputSizes]) {
    if (!Number.isInteger(s) || s <= 0) throw new Error(`image and map sizes must be positive integers, got ${s}`);
  }
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
  /** Per-person bbox `[x, y, w, h]` (only read with scaleAwareSigma). */
  boxes?: readonly ArrayLike<number>[];
}

/** One augmented training sample, all arrays row-major. */
export interface TrainingSample {
  /** Normalised input, HWC float32 `inputSize x inputSize x 3`. */
  image: Float32Array;
  /** Per output size: `numJoints x r x r` float32. */
  heatmaps: Float32Array[];
  /** Per output size: `r x r` float32, 1 = counted, 0 = ignored or outside the image. */
  masks: Float32Array[];
  /** Per output size: `maxPeople x numJoints x 2` int32 `[index, 1]` (see {@link generateJointIndices}). */
  joints: Int32Array[];
  /** The augmented input before normalisation (HWC uint8), for inspection. */
  warpedImage: Uint8Array;
  /** Per output size: the transformed (and flipped) joints `people * numJoints * 3`. */
  jointCoords: Float64Array[];
  params: AffineParams;
}

/**
 * Turns a decoded image with its annotations into the network input and targets, for one draw of
 * the augmentation (`params`; draw it with {@link drawAffineParams} or pass recorded values).
 * Same steps and order as the reference: affine warps (image at the input size, masks and joints
 * at every output size), optional flip, ToTensor + Normalize, then heatmaps and joint indices.
 */
export function buildTrainingSample(src: SampleSource, params: AffineParams, config: HigherHrnetDataConfig): TrainingSample {
  const { image, validMask, joints, people } = src;
  const J = config.numJoints;
  if (image.channels !== 3) throw new Error(`expected an RGB image, got ${image.channels} channels`);
  if (joints.length !== people * J * 3) throw new Error(`joints hold ${joints.length} numbers, ${people} people need ${people * J * 3}`);
  if (validMask.length !== image.width * image.height) throw new Error('valid mask and image sizes differ');

  const heatmaps: Float32Array[] = [];
  const masks: Float32Array[] = [];
  const jointTargets: Int32Array[] = [];
  const jointCoords: Float64Array[] = [];
  let sigmas: Float64Array | undefined;
  if (config.scaleAwareSigma) {
    if (!src.boxes || src.boxes.length !== people) throw new Error('scaleAwareSigma needs one bbox per person');
    sigmas = new Float64Array(people);
    for (let p = 0; p < people; p++) {
      sigmas[p] = scaleAwareSigma(src.boxes[p], params.augScale, config);
    }
  }

  const mask255 = maskTo255(validMask);
  for (const res of config.outputSizes) {
    const m = affineMatrix(params, res);
    const mask = warpMask255(mask255, image.width, image.height, m, res);
    let coords = transformJoints(joints, m);
    if (params.flip) {
      flipImageHorizontal(mask, res, res, 1);
      coords = flipJoints(coords, people, J, res, config.flipIndex);
    }
    masks.push(Float32Array.from(mask));
    jointCoords.push(coords);
    heatmaps.push(
      sigmas
        ? generateScaleAwareHeatmaps(coords, sigmas, people, J, res)
        : generateHeatmaps(coords, people, J, res, config.sigma),
    );
    jointTargets.push(generateJointIndices(coords, people, J, res, config.maxPeople, config.tagPerJoint));
  }

  const warped = warpAffine(image, affineMatrix(params, config.inputSize), config.inputSize, config.inputSize);
  if (params.flip) flipImageHorizontal(warped, config.inputSize, config.inputSize, 3);
  const normalized = normalizeImage(warped, undefined, config.mean, config.std);
  return { image: normalized, heatmaps, masks, joints: jointTargets, warpedImage: warped, jointCoords, params };
}
