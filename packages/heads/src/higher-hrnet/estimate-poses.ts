/**
 * The whole HigherHRNet test flow for one image (`tools/valid.py`): per test scale (largest first) the
 * OpenCV-exact resize/align, normalisation, forward passes on the image and its mirror, then decoding.
 */
import * as tf from '@tensorflow/tfjs';
import { higherHrnetPreset } from './higher-hrnet-presets.js';
import { decodeMultiScalePoses, poseDecodeMeta, type DecodeOptions, type ScaleOutputs } from './decode-poses.js';
import { planesFromNhwc } from '../pose-common/planes.js';
import type { Pose } from '../pose-common/pose-types.js';
import { normalizeImage } from '@hrnet/core';
import { resizeAlignMultiScale } from './resize-align.js';
import { rgbImageOf, type RgbImage } from '../pose-common/rgb-image.js';

type PoseOutputs = tf.Tensor | tf.Tensor[];

/**
 * Anything that maps an NHWC float32 batch to the HigherHRNet outputs (lowest resolution first), at once or
 * through a promise (another runtime, e.g. @hrnet/deploy's `runtimeModel` on onnxruntime).
 */
export type PoseModel =
  | { predict(x: tf.Tensor4D): PoseOutputs | Promise<PoseOutputs> }
  | ((x: tf.Tensor4D) => PoseOutputs | Promise<PoseOutputs>);

export interface EstimatePosesOptions extends DecodeOptions {
  /** Also run the width-mirrored image and average (TEST.FLIP_TEST), default true. */
  flipTest?: boolean;
  /** Test scales (TEST.SCALE_FACTOR), default `[1]`. */
  scales?: readonly number[];
  /** DATASET.INPUT_SIZE; default the `higherhrnet_w32_512` preset's (as mean and std; pass `modelInfo(name).preprocessing`'s for other presets). */
  inputSize?: number;
  /** Normalisation, default the preset's (ImageNet mean / std). */
  mean?: readonly number[];
  std?: readonly number[];
}

const DEFAULT_PREPROCESSING = higherHrnetPreset('higherhrnet_w32_512').preprocessing;

/** Runs the model (a synchronous one in a tidy scope) and copies its outputs to host planes. */
async function forward(model: PoseModel, input: tf.Tensor4D, mirrored: boolean) {
  const x = mirrored ? tf.reverse(input, 2) : input;
  let y: PoseOutputs | Promise<PoseOutputs> | undefined;
  const kept = tf.tidy(() => {
    y = typeof model === 'function' ? model(x) : model.predict(x);
    return y instanceof Promise ? [] : [y].flat();
  });
  let outs: tf.Tensor[] = kept;
  try {
    if (y instanceof Promise) outs = [await y].flat();
    return await Promise.all(
      outs.map(async (t) => {
        if (t.rank !== 4 || t.shape[0] !== 1) throw new Error(`estimatePoses: model output of shape [${t.shape.join(', ')}], expected [1, H, W, C]`);
        const [, h, w, c] = t.shape as [number, number, number, number];
        return planesFromNhwc(await t.data(), h, w, c);
      }),
    );
  } finally {
    tf.dispose(outs);
    if (mirrored) x.dispose();
  }
}

/**
 * Detects people in an 8-bit RGB(A) image (`{ data, width, height }`, e.g. `ImageData`, or an `[H, W, 3|4]`
 * tensor with values 0..255) with a HigherHRNet model. Returns poses in image coordinates, in the order the
 * grouping created them (not sorted by score).
 */
export async function estimatePoses(model: PoseModel, image: RgbImage | tf.Tensor3D, opts: EstimatePosesOptions = {}): Promise<Pose[]> {
  const pre = DEFAULT_PREPROCESSING;
  const { flipTest = true, scales = [1], inputSize = pre.inputSize[0], mean = pre.mean, std = pre.std } = opts;
  if (scales.length === 0) throw new Error('estimatePoses: no scales');
  const img = await rgbImageOf(image, 'estimatePoses');
  const minScale = Math.min(...scales);
  const passes: ScaleOutputs[] = [];
  for (const s of [...scales].sort((a, b) => b - a)) {
    const { image: resized } = resizeAlignMultiScale(img, inputSize, s, minScale);
    const input = tf.tensor4d(normalizeImage(resized.data, undefined, mean, std), [1, resized.height, resized.width, 3]);
    try {
      const outputs = await forward(model, input, false);
      const flippedOutputs = flipTest ? await forward(model, input, true) : undefined;
      passes.push({ scale: s, outputs, flippedOutputs });
    } finally {
      input.dispose();
    }
  }
  const meta = poseDecodeMeta(img.width, img.height, inputSize, scales);
  const { poses } = await decodeMultiScalePoses(passes, meta, opts);
  return poses;
}
