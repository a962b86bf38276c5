import * as tf from '@tensorflow/tfjs';
import { torchResizeBilinear, type LossTerms, type Task } from '@hrnet/core';

/** A training batch: normalized NHWC images and train-id labels at image size (`ignoreLabel` = not scored). */
export interface SegmentationBatch {
  images: tf.Tensor4D;
  /** int32 [N, H, W]. */
  labels: tf.Tensor3D;
}

/** LOSS.USE_OHEM / OHEMTHRES / OHEMKEEP of the official config. */
export interface OhemOptions {
  /** Pixels whose target-class probability is below this are hard (Cityscapes: 0.9). */
  thresh: number;
  /** At least this many hardest pixels per batch are kept (Cityscapes: 131072). */
  minKept: number;
}

export interface SegmentationLossOptions {
  /** MODEL.ALIGN_CORNERS of the resize of the logits to the label size. */
  alignCorners: boolean;
  /** TRAIN.IGNORE_LABEL; default 255. */
  ignoreLabel?: number;
  /** Per-class weights of `nn.CrossEntropyLoss(weight=)` (the official Cityscapes training always passes them). */
  classWeights?: number[];
  /** OHEM cross-entropy (OhemCrossEntropy) instead of the plain one. */
  ohem?: OhemOptions;
}

/** The Cityscapes config's OHEM settings (`seg_hrnet_w48_train_ohem_*.yaml`). */
export const CITYSCAPES_OHEM: Readonly<OhemOptions> = { thresh: 0.9, minKept: 131072 };

/**
 * Per-pixel terms at label size: −w[y]·log softmax(z)[y] (`loss`), w[y] (`weight`), softmax(z)[y] (`prob`),
 * and the valid mask, flattened; the logits are first resized to the label size as criterion.py does.
 */
function pixelTerms(logits: tf.Tensor4D, labels: tf.Tensor3D, opts: SegmentationLossOptions) {
  const [, h, w] = labels.shape;
  const c = logits.shape[3];
  const ignore = opts.ignoreLabel ?? 255;
  const score = torchResizeBilinear(logits, [h, w], opts.alignCorners);
  const validMask = tf.notEqual(labels, ignore);
  const target = tf.where(validMask, labels, tf.zerosLike(labels)).reshape([-1]) as tf.Tensor1D;
  const logp = tf.logSoftmax(score).reshape([-1, c]);
  const logpT = tf.sum(tf.mul(logp, tf.oneHot(target, c)), -1);
  const valid = tf.cast(validMask, 'float32').reshape([-1]);
  const weight = opts.classWeights ? tf.mul(tf.gather(tf.tensor1d(opts.classWeights), target), valid) : valid;
  return { loss: tf.neg(tf.mul(logpT, weight)), weight, logpT, valid };
}

function checkInputs(logits: tf.Tensor, labels: tf.Tensor, opts: SegmentationLossOptions): void {
  if (logits.rank !== 4) throw new Error(`segmentation loss: logits must be NHWC [N, h, w, classes], got [${logits.shape}]`);
  if (labels.rank !== 3 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(`segmentation loss: labels must be [N, H, W] with N = ${logits.shape[0]}, got [${labels.shape}]`);
  }
  if (labels.dtype !== 'int32') throw new Error(`segmentation loss: labels must be int32, got ${labels.dtype}`);
  if (opts.classWeights && opts.classWeights.length !== logits.shape[3]) {
    throw new Error(`segmentation loss: classWeights has ${opts.classWeights.length} entries, the logits ${logits.shape[3]} classes`);
  }
}

/** k-th smallest value (0-based) of `v` (quickselect; reorders `v`). */
function kthSmallest(v: Float32Array, k: number): number {
  let lo = 0;
  let hi = v.length - 1;
  while (lo < hi) {
    const pivot = v[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        const t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return v[k];
  }
  return v[k];
}

/**
 * Cross-entropy over pixels as HRNet-Semantic-Segmentation's `lib/core/criterion.py`: the logits are bilinearly
 * resized to the label size (same `align_corners`), label `ignoreLabel` is skipped.
 * - plain (`CrossEntropy`): Σ w[y]·nll / Σ w[y] over the valid pixels (PyTorch's weighted mean);
 * - `ohem` (`OhemCrossEntropy`): over the whole batch, the valid pixels sorted by their target probability p;
 *   threshold = max(p of the `minKept`-th smallest (or the largest, if fewer), `thresh`); the loss is the plain
 *   mean of w[y]·nll over the pixels with p < threshold.
 * A batch without any scored (or, with OHEM, kept) pixel gives 0 (PyTorch: NaN).
 */
export function segmentationLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, opts: SegmentationLossOptions): tf.Scalar {
  checkInputs(logits, labels, opts);
  return tf.tidy(() => {
    const { loss, weight, logpT, valid } = pixelTerms(logits, labels, opts);
    // The denominator comes from the labels alone (no path to the logits) and stays on the device (webgpu
    // reads nothing synchronously). No valid pixel: every term is 0, and so is the loss. Not tf.divNoNan:
    // its zerosLike(a / b) puts an Equal op without a gradient on the path to the logits.
    if (!opts.ohem) return tf.div(tf.sum(loss), tf.maximum(tf.sum(weight), 1e-12)) as tf.Scalar;
    if (tf.getBackend() === 'webgpu') {
      throw new Error('OHEM (LOSS.USE_OHEM) selects pixels by reading their probabilities synchronously, which webgpu cannot do in Node: train with LOSS.USE_OHEM false, or on a CPU backend');
    }
    const { thresh, minKept } = opts.ohem;
    // The selection is data, not differentiated (PyTorch's sort and comparison carry no gradient either).
    const probs = tf.exp(logpT).dataSync() as Float32Array;
    const isValid = valid.dataSync();
    const validProbs = probs.filter((_, i) => isValid[i] > 0);
    if (validProbs.length === 0) return tf.scalar(0);
    const minValue = kthSmallest(validProbs, Math.min(Math.max(1, minKept), validProbs.length - 1));
    const threshold = Math.max(minValue, thresh);
    const keptMask = probs.map((p, i) => (isValid[i] > 0 && p < threshold ? 1 : 0));
    const count = keptMask.reduce((a, b) => a + b, 0);
    return count > 0 ? (tf.div(tf.sum(tf.mul(loss, tf.tensor1d(keptMask))), count) as tf.Scalar) : tf.scalar(0);
  });
}

/** {@link segmentationLoss} as a head loss over the model's one output (the 1/4-resolution logits). */
export function createSegmentationLoss(opts: SegmentationLossOptions): Task<SegmentationBatch>['loss'] {
  return (outputs: tf.Tensor[], batch: SegmentationBatch): LossTerms => {
    const total = segmentationLoss(outputs[0] as tf.Tensor4D, batch.labels, opts);
    // Its own tensor: callers dispose the terms and the total separately.
    return { total, terms: { [opts.ohem ? 'ohem_ce' : 'ce']: tf.clone(total) } };
  };
}
