/**
 * The top-down training pipeline of the COCO configs (MMPose `train_pipeline`), for one person: TopDownGetBboxCenterScale
 * (padding 1.25), TopDownRandomShiftBboxCenter, TopDownRandomFlip, TopDownHalfBodyTransform,
 * TopDownGetRandomScaleRotation, TopDownAffine (OpenCV-exact bilinear warp to `image_size`), ToTensor + NormalizeTensor,
 * then the family's codec makes the targets (TopDownGenerateTarget). The draws follow the transforms' order.
 */
import {
  applyAffine,
  bboxToCenterScale,
  COCO_FLIP_INDEX,
  getAffineTransform,
  IMAGENET_MEAN,
  IMAGENET_STD,
  normalizeImage,
  PIXEL_STD,
  warpAffine,
  type EncodedTargets,
  type Point2,
  type RawImage,
  type Rng,
  type TopDownSample,
  type TopDownTargetEncoder,
} from '@hrnet/core';
import { flipImageHorizontal } from './horizontal-flip.js';
import type { TopDownPerson } from './top-down-people.js';

/** The pipeline's settings, as the config's transforms name them. */
export interface TopDownPipelineConfig {
  /** `data_cfg.image_size`, `[width, height]`. */
  imageSize: readonly [number, number];
  /** TopDownGetBboxCenterScale `padding`. */
  padding: number;
  /** TopDownRandomShiftBboxCenter `shift_factor` / `prob` (prob 0: off). */
  shiftFactor: number;
  shiftProb: number;
  /** TopDownRandomFlip `flip_prob`. */
  flipProb: number;
  /** TopDownHalfBodyTransform `num_joints_half_body` / `prob_half_body` (prob 0: off); `upperBodyIds` from the dataset info. */
  numJointsHalfBody: number;
  probHalfBody: number;
  upperBodyIds: readonly number[];
  /** TopDownGetRandomScaleRotation `rot_factor` / `scale_factor` / `rot_prob`. */
  rotFactor: number;
  scaleFactor: number;
  rotProb: number;
  numJoints: number;
  flipIndex: readonly number[];
  mean: readonly number[];
  std: readonly number[];
}

/** COCO's upper body (`upper_body_ids` of the dataset info): nose, eyes, ears, shoulders, elbows, wrists. */
export const COCO_UPPER_BODY_IDS: readonly number[] = Object.freeze([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

/** The HF-HRNet / HRNet COCO configs' train_pipeline values; `imageSize` is required. */
export function resolveTopDownPipelineConfig(input: Partial<TopDownPipelineConfig> & { imageSize: readonly [number, number] }): TopDownPipelineConfig {
  const cfg: TopDownPipelineConfig = {
    padding: 1.25,
    shiftFactor: 0.16,
    shiftProb: 0.3,
    flipProb: 0.5,
    numJointsHalfBody: 8,
    probHalfBody: 0.3,
    upperBodyIds: COCO_UPPER_BODY_IDS,
    rotFactor: 30,
    scaleFactor: 0.25,
    rotProb: 0.6,
    numJoints: 17,
    flipIndex: COCO_FLIP_INDEX,
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    ...input,
  };
  const [w, h] = cfg.imageSize;
  if (!(Number.isInteger(w) && Number.isInteger(h) && w > 0 && h > 0)) throw new Error(`imageSize must be [width, height] of positive integers, got [${cfg.imageSize.join(', ')}]`);
  if (cfg.flipIndex.length !== cfg.numJoints) throw new Error(`flipIndex has ${cfg.flipIndex.length} entries for ${cfg.numJoints} joints`);
  return cfg;
}

/** One draw of the augmentation (or the identity of the val pipeline), in source-image pixels. */
export interface TopDownParams {
  center: Point2;
  scale: Point2;
  /** Degrees. */
  rotation: number;
  /** The image (and joints) were mirrored before the crop. */
  flip: boolean;
}

/** `half_body_transform`: the box of the upper or the lower body's visible joints, x1.5; undefined when too few joints. */
function halfBody(joints: Float64Array, cfg: TopDownPipelineConfig, rng: Rng): { center: Point2; scale: Point2 } | undefined {
  const upper: number[] = [];
  const lower: number[] = [];
  for (let j = 0; j < cfg.numJoints; j++) if (joints[j * 3 + 2]! > 0) (cfg.upperBodyIds.includes(j) ? upper : lower).push(j);
  // np.random.randn() < 0.5 (sic: a normal draw, so the upper body is picked ~69% of the time).
  const selected = rng.normal() < 0.5 && upper.length > 2 ? upper : lower.length > 2 ? lower : upper;
  if (selected.length < 2) return undefined;
  const xs = selected.map((j) => joints[j * 3]!);
  const ys = selected.map((j) => joints[j * 3 + 1]!);
  const center: Point2 = [Math.fround(xs.reduce((a, b) => a + b, 0) / xs.length), Math.fround(ys.reduce((a, b) => a + b, 0) / ys.length)];
  let w = Math.max(...xs) - Math.min(...xs);
  let h = Math.max(...ys) - Math.min(...ys);
  const aspect = cfg.imageSize[0] / cfg.imageSize[1];
  if (w > aspect * h) h = w / aspect;
  else if (w < aspect * h) w = h * aspect;
  return { center, scale: [Math.fround((w / PIXEL_STD) * 1.5), Math.fround((h / PIXEL_STD) * 1.5)] };
}

/** `fliplr_joints`: mirrored x (`width - 1 - x`), left/right swapped, joints times their visibility. */
function flipPersonJoints(joints: Float64Array, width: number, cfg: TopDownPipelineConfig): Float64Array {
  const out = new Float64Array(joints.length);
  for (let j = 0; j < cfg.numJoints; j++) {
    const s = cfg.flipIndex[j]!;
    const v = joints[s * 3 + 2]!;
    out[j * 3] = (width - 1 - joints[s * 3]!) * v;
    out[j * 3 + 1] = joints[s * 3 + 1]! * v;
    out[j * 3 + 2] = v;
  }
  return out;
}

/**
 * Draws the augmentation of one person (or, with `rng` undefined, the val pipeline's plain box crop) and returns it
 * with the person's joints after the flip, in source pixels.
 */
export function drawTopDownParams(person: TopDownPerson, imageWidth: number, cfg: TopDownPipelineConfig, rng?: Rng): { params: TopDownParams; joints: Float64Array } {
  let { center, scale } = bboxToCenterScale(person.bbox, cfg.imageSize[0] / cfg.imageSize[1], cfg.padding);
  let joints = person.joints;
  if (!rng) return { params: { center, scale, rotation: 0, flip: false }, joints };
  if (rng.next() < cfg.shiftProb) {
    const dx = rng.uniform(-1, 1);
    const dy = rng.uniform(-1, 1);
    center = [center[0] + dx * cfg.shiftFactor * scale[0] * PIXEL_STD, center[1] + dy * cfg.shiftFactor * scale[1] * PIXEL_STD];
  }
  let flip = false;
  if (rng.next() <= cfg.flipProb) {
    flip = true;
    joints = flipPersonJoints(joints, imageWidth, cfg);
    center = [imageWidth - center[0] - 1, center[1]];
  }
  let visible = 0;
  for (let j = 0; j < cfg.numJoints; j++) visible += joints[j * 3 + 2]!;
  if (visible > cfg.numJointsHalfBody && rng.next() < cfg.probHalfBody) {
    const hb = halfBody(joints, cfg, rng);
    if (hb) ({ center, scale } = hb);
  }
  const sf = cfg.scaleFactor;
  const rf = cfg.rotFactor;
  const s = Math.min(Math.max(rng.normal() * sf + 1, 1 - sf), 1 + sf);
  const r = Math.min(Math.max(rng.normal() * rf, -rf * 2), rf * 2);
  const rotation = rng.next() <= cfg.rotProb ? r : 0;
  return { params: { center, scale: [scale[0] * s, scale[1] * s], rotation, flip }, joints };
}

/** One top-down sample with its targets and the draw that made it. */
export interface TopDownTrainingSample {
  sample: TopDownSample;
  targets: EncodedTargets;
  params: TopDownParams;
  /** The crop before normalisation, HWC uint8 (for inspection). */
  warpedImage: Uint8Array;
}

/**
 * TopDownAffine + normalisation + the encoder's targets for one person of a decoded RGB image: the crop of
 * `get_affine_transform(center, scale, rotation, image_size)`, visible joints mapped into it (others left as they are).
 */
export function makeTopDownSample(image: RawImage, joints: Float64Array, params: TopDownParams, cfg: TopDownPipelineConfig, encoder: TopDownTargetEncoder): TopDownTrainingSample {
  if (image.channels !== 3) throw new Error(`expected an RGB image, got ${image.channels} channels`);
  const [w, h] = cfg.imageSize;
  if (encoder.inputSize[0] !== w || encoder.inputSize[1] !== h) throw new Error(`the encoder's input is ${encoder.inputSize.join('x')}, the pipeline's image_size ${w}x${h} (WxH)`);
  let src = image;
  if (params.flip) src = { ...image, data: flipImageHorizontal(Uint8Array.from(image.data), image.width, image.height, 3) };
  const trans = getAffineTransform(params.center, params.scale, params.rotation, [w, h]);
  const warped = warpAffine(src, trans, w, h);
  const out = Float64Array.from(joints);
  for (let j = 0; j < cfg.numJoints; j++) {
    if (!(out[j * 3 + 2]! > 0)) continue;
    const [x, y] = applyAffine(trans, out[j * 3]!, out[j * 3 + 1]!);
    out[j * 3] = x;
    out[j * 3 + 1] = y;
  }
  const sample: TopDownSample = { image: normalizeImage(warped, undefined, cfg.mean, cfg.std), inputSize: [w, h], numJoints: cfg.numJoints, joints: out };
  return { sample, targets: encoder.encode(sample), params, warpedImage: warped };
}
