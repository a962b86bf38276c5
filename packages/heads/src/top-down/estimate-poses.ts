/**
 * The top-down test flow for one image (MMPose `TopDown.forward_test` + `TopDownCocoDataset.evaluate`): per person box
 * the padded aspect-ratio box, an OpenCV-exact bilinear crop to `image_size`, normalisation, forward passes on the
 * crops and their mirrors (flip test with the heatmap shift), decoding, rescoring and OKS-NMS.
 */
import * as tf from '@tensorflow/tfjs';
import { bboxToCenterScale, getAffineTransform, IMAGENET_MEAN, IMAGENET_STD, normalizeImage, PIXEL_STD, warpAffine, type Point2 } from '@hrnet/core';
import { rgbImageOf, toRgbU8, type RgbImage } from '../pose-common/rgb-image.js';
import { peopleToPoses, type Pose } from '../pose-common/pose-types.js';
import { MsraHeatmapCodec } from './msra-heatmap-codec.js';
import { oksNms, rescore, type TopDownPrediction } from './oks-nms.js';

/** A person box `[x, y, w, h]` (image pixels) with its detection score (1 for ground-truth boxes). */
export interface PersonBox {
  bbox: ArrayLike<number>;
  score?: number;
}

/** Anything that maps an NHWC float32 batch of crops to heatmaps `[N, H/4, W/4, J]`. */
export type TopDownModel = { predict(x: tf.Tensor4D): tf.Tensor | tf.Tensor[] } | ((x: tf.Tensor4D) => tf.Tensor | tf.Tensor[]);

export interface TopDownInferenceOptions {
  /** The codec of the model's config; default one from the model's input and output sizes (COCO joints, default post-processing). */
  codec?: MsraHeatmapCodec;
  /** `test_cfg.flip_test`, default true. */
  flipTest?: boolean;
  /** Normalisation, default ImageNet's. */
  mean?: readonly number[];
  std?: readonly number[];
  /** Crops per forward pass. Default 16. */
  batchSize?: number;
}

export interface EstimateTopDownPosesOptions extends TopDownInferenceOptions {
  boxes: readonly (PersonBox | ArrayLike<number>)[];
  /** TopDownGetBboxCenterScale's padding, default 1.25. */
  padding?: number;
  /** `data_cfg.vis_thr` (joints counted by the rescoring), default 0.2. */
  visThr?: number;
  /** `data_cfg.oks_thr`, default 0.9; `nms: false` keeps every box's pose. */
  oksThr?: number;
  nms?: boolean;
  /** Keypoint names of the returned poses (default COCO's). */
  names?: readonly string[];
}

/** One person crop: where it sits in the image and its pixels. */
export interface PersonCrop {
  center: Point2;
  scale: Point2;
  /** Normalised HWC float32 crop of `image_size`. */
  input: Float32Array;
}

function run(model: TopDownModel, x: tf.Tensor4D): tf.Tensor {
  const y = typeof model === 'function' ? model(x) : model.predict(x);
  return (Array.isArray(y) ? y[0] : y) as tf.Tensor;
}

/** The codec a model implies: `image_size` from its input, `heatmap_size` from its output. */
export function codecForModel(model: tf.LayersModel): MsraHeatmapCodec {
  const [, h, w] = model.inputs[0]!.shape;
  const [, hh, hw, j] = model.outputs[0]!.shape;
  if (![h, w, hh, hw, j].every((v) => typeof v === 'number')) throw new Error('top-down inference: the model has no fixed input size; pass the codec of its config');
  return new MsraHeatmapCodec({ imageSize: [w!, h!], heatmapSize: [hw!, hh!], sigma: 2, numJoints: j! });
}

/** Crops a person box out of an 8-bit RGB(A) image: `get_affine_transform(center, scale, 0, image_size)` + `cv2.warpAffine`, normalised. */
export function cropPerson(image: RgbImage, center: Point2, scale: Point2, imageSize: readonly [number, number], mean: readonly number[] = IMAGENET_MEAN, std: readonly number[] = IMAGENET_STD): PersonCrop {
  const rgb = toRgbU8(image);
  const [w, h] = imageSize;
  const warped = warpAffine(rgb, getAffineTransform(center, scale, 0, [w, h]), w, h);
  return { center, scale, input: normalizeImage(warped, undefined, mean, std) };
}

/**
 * Heatmaps `[H, W, J]` of each crop (channels last, one array per crop): the model on batches of crops and, with the
 * flip test, on their mirrors, flipped back (and shifted) by the codec and averaged with the first pass.
 */
export async function predictHeatmaps(model: TopDownModel, inputs: readonly Float32Array[], codec: MsraHeatmapCodec, opts: Pick<TopDownInferenceOptions, 'flipTest' | 'batchSize'> = {}): Promise<Float32Array[]> {
  const [w, h] = codec.imageSize;
  const [hw, hh] = codec.heatmapSize;
  const J = codec.numJoints;
  const flip = opts.flipTest ?? true;
  const B = opts.batchSize ?? 16;
  const out: Float32Array[] = [];
  for (let i = 0; i < inputs.length; i += B) {
    const chunk = inputs.slice(i, i + B);
    const data = new Float32Array(chunk.length * h * w * 3);
    chunk.forEach((c, k) => {
      if (c.length !== h * w * 3) throw new Error(`top-down inference: a crop has ${c.length} values, expected ${h}x${w}x3`);
      data.set(c, k * h * w * 3);
    });
    const heatmaps = tf.tidy(() => {
      const x = tf.tensor4d(data, [chunk.length, h, w, 3]);
      const y = run(model, x);
      if (y.rank !== 4 || y.shape[1] !== hh || y.shape[2] !== hw || y.shape[3] !== J) throw new Error(`top-down inference: model output [${y.shape.join(', ')}], expected [N, ${hh}, ${hw}, ${J}]`);
      if (!flip) return y;
      const back = codec.flipBack(run(model, tf.reverse(x, 2)) as tf.Tensor4D);
      return tf.mul(tf.add(y, back), 0.5);
    });
    const values = (await heatmaps.data()) as Float32Array;
    heatmaps.dispose();
    const n = hh * hw * J;
    for (let k = 0; k < chunk.length; k++) out.push(values.slice(k * n, (k + 1) * n));
  }
  return out;
}

/** Keypoints `[x, y, score] x J` in image pixels for each crop (crop order). */
export async function estimateCropKeypoints(model: TopDownModel, crops: readonly PersonCrop[], codec: MsraHeatmapCodec, opts: TopDownInferenceOptions = {}): Promise<Float32Array[]> {
  const heatmaps = await predictHeatmaps(model, crops.map((c) => c.input), codec, opts);
  return heatmaps.map((hm, k) => codec.decode(hm, crops[k]!.center, crops[k]!.scale));
}

/** Rescoring then OKS-NMS of one image's predictions; returns the kept ones, highest score first. */
export function rescoreAndSuppress(preds: readonly (TopDownPrediction & { boxScore: number })[], opts: { visThr?: number; oksThr?: number; nms?: boolean } = {}): TopDownPrediction[] {
  const rescored = preds.map((p) => ({ ...p, score: rescore(p.keypoints, p.boxScore, opts.visThr ?? 0.2) }));
  if (opts.nms === false) return rescored;
  return oksNms(rescored, opts.oksThr ?? 0.9).map((i) => rescored[i]!);
}

/**
 * Poses of the people in `boxes` (image pixels, e.g. a person detector's) of an 8-bit RGB(A) image
 * (`{ data, width, height }` or an `[H, W, 3|4]` tensor of 0..255), in the types of the bottom-up `estimatePoses`:
 * keypoint scores are the heatmap maxima, the pose score is the rescored box score; OKS-NMS removes duplicates.
 */
export async function estimateTopDownPoses(model: TopDownModel & tf.LayersModel, image: RgbImage | tf.Tensor3D, opts: EstimateTopDownPosesOptions): Promise<Pose[]> {
  const codec = opts.codec ?? codecForModel(model);
  const img = await rgbImageOf(image, 'estimateTopDownPoses');
  const [w, h] = codec.imageSize;
  const boxes = opts.boxes.map((b, i) => {
    const box = 'bbox' in b ? b : { bbox: b };
    if (box.bbox.length < 4 || !(box.bbox[2]! > 0 && box.bbox[3]! > 0)) throw new Error(`estimateTopDownPoses: boxes[${i}] must be [x, y, w, h] with w, h > 0, got [${Array.from(box.bbox).join(', ')}]`);
    return box;
  });
  const crops = boxes.map((b) => {
    const { center, scale } = bboxToCenterScale(b.bbox, w / h, opts.padding ?? 1.25);
    return cropPerson(img, center, scale, codec.imageSize, opts.mean, opts.std);
  });
  const keypoints = await estimateCropKeypoints(model, crops, codec, opts);
  const kept = rescoreAndSuppress(
    keypoints.map((k, i) => ({ keypoints: k, area: crops[i]!.scale[0] * PIXEL_STD * crops[i]!.scale[1] * PIXEL_STD, score: boxes[i]!.score ?? 1, boxScore: boxes[i]!.score ?? 1 })),
    opts,
  );
  return peopleToPoses(
    kept.map((p) => p.keypoints),
    kept.map((p) => p.score),
    opts.names,
  );
}
