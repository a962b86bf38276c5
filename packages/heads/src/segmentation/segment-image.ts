import * as tf from '@tensorflow/tfjs';
import { multiScaleSize, torchResizeBilinear } from '@hrnet/core';

export interface SegmentImageOptions {
  /** MODEL.ALIGN_CORNERS of every logits resize. */
  alignCorners: boolean;
  /** TEST.FLIP_TEST: average the logits of the image and of its mirror. Default false. */
  flip?: boolean;
  /** TEST.SCALE_LIST. Default [1]. */
  scales?: number[];
  /** TEST.BASE_SIZE: the long side at scale 1 (Cityscapes 2048). Default: the image's own long side. */
  baseSize?: number;
  /**
   * Window [h, w] of the sliding-window inference at scales > 1 (the training crop, Cityscapes [512, 1024]);
   * without it every scale runs on the whole image.
   */
  crop?: [number, number];
}

/**
 * The reference's `inference`: logits of one normalized image batch resized to its size (bilinear,
 * align_corners), with flip averaged in, then exp (the reference sums these exponentials over scales).
 */
export function predictScores(model: tf.LayersModel, images: tf.Tensor4D, alignCorners: boolean, flip = false): tf.Tensor4D {
  return tf.tidy(() => {
    const size: [number, number] = [images.shape[1], images.shape[2]];
    const run = (x: tf.Tensor4D) => torchResizeBilinear(model.predict(x) as tf.Tensor4D, size, alignCorners);
    let logits = run(images);
    if (flip) logits = tf.mul(tf.add(logits, tf.reverse(run(tf.reverse(images, 2)), 2)), 0.5);
    return tf.exp(logits);
  });
}

/** Sliding windows of Cityscapes.multi_scale_inference: stride = crop, the last window shifted back inside. */
function windows(size: number, crop: number): Array<[number, number]> {
  const n = Math.ceil(Math.max(0, size - crop) / crop) + 1;
  return Array.from({ length: n }, (_, i) => {
    const end = Math.min(i * crop + crop, size);
    return [Math.max(end - crop, 0), end] as [number, number];
  });
}

function slidingScores(model: tf.LayersModel, image: tf.Tensor4D, crop: [number, number], alignCorners: boolean, flip: boolean): tf.Tensor4D {
  const [, h, w] = image.shape;
  let sum: tf.Tensor4D | null = null;
  const count = new Float32Array(h * w);
  for (const [y0, y1] of windows(h, crop[0])) {
    for (const [x0, x1] of windows(w, crop[1])) {
      const next: tf.Tensor4D = tf.tidy(() => {
        const pred = predictScores(model, tf.slice(image, [0, y0, x0, 0], [1, y1 - y0, x1 - x0, -1]), alignCorners, flip);
        const placed = tf.pad(pred, [[0, 0], [y0, h - y1], [x0, w - x1], [0, 0]]);
        return sum ? tf.add(sum, placed) : placed;
      });
      sum?.dispose();
      sum = next;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) count[y * w + x] += 1;
    }
  }
  return tf.tidy(() => tf.div(sum!, tf.tensor4d(count, [1, h, w, 1]))) as tf.Tensor4D;
}

/**
 * Test-time segmentation as HRNet-Semantic-Segmentation's `Cityscapes.multi_scale_inference` (batch 1): for
 * each scale the normalized image is resized (bilinear, half-pixel, as cv2 on floats) to core's `multiScaleSize`;
 * at scale ≤ 1 (or without `crop`) the whole image is predicted, above it sliding `crop` windows (stride = crop,
 * overlaps averaged); scores (exp of the flip-averaged logits) are resized back to the image size and summed
 * over scales. Returns [1, H, W, classes]; the labels are its argmax ({@link scoresToLabels}).
 */
export function segmentImage(model: tf.LayersModel, image: tf.Tensor3D | tf.Tensor4D, opts: SegmentImageOptions): tf.Tensor4D {
  const img = (image.rank === 3 ? image.expandDims(0) : image) as tf.Tensor4D;
  if (img.shape[0] !== 1 || img.shape[3] !== 3) throw new Error(`segmentImage: expected one normalized RGB image [1, H, W, 3], got [${image.shape}]`);
  const [, h, w] = img.shape;
  const { alignCorners, flip = false, scales = [1], baseSize = Math.max(h, w), crop } = opts;
  let total: tf.Tensor4D | null = null;
  for (const scale of scales) {
    const size = multiScaleSize(h, w, baseSize, scale);
    const scaled = tf.tidy(() => torchResizeBilinear(img, size, false));
    const scores = crop && scale > 1 ? slidingScores(model, scaled, crop, alignCorners, flip) : predictScores(model, scaled, alignCorners, flip);
    if (scaled !== img) scaled.dispose();
    const next: tf.Tensor4D = tf.tidy(() => {
      const back = torchResizeBilinear(scores, [h, w], alignCorners);
      return total ? tf.add(total, back) : back.clone();
    });
    scores.dispose();
    total?.dispose();
    total = next;
  }
  if (img !== image) img.dispose();
  return total!;
}

/** Per-pixel argmax of scores or logits [N, H, W, C] → int32 [N, H, W] train ids. */
export function scoresToLabels(scores: tf.Tensor4D): tf.Tensor3D {
  return tf.argMax(scores, -1) as tf.Tensor3D;
}
