import * as tf from '@tensorflow/tfjs';
import { crossEntropy, topKAccuracy, type CrossEntropyOptions, type Task, type TaskMetric } from '@hrnet/core';

/** A batch of labelled NHWC images (as @hrnet/data-imagenet's `ImageBatch`). */
export interface LabelledImageBatch {
  images: Float32Array;
  shape: readonly [number, number, number, number];
  labels: Int32Array;
  /** Soft targets [N, K] row-major (mixup/cutmix); when present the loss uses them instead of `labels`. */
  targets?: Float32Array;
}

export interface ClassificationTaskOptions {
  /** Label smoothing of the cross entropy (`smoothing`, `style`); default none. */
  loss?: CrossEntropyOptions;
  /** Top-k accuracies reported as `top{k}`; default [1] plus 5 when there are more than 5 classes. */
  topK?: number[];
}

/** The best classes of one image, most likely first. */
export interface ClassPrediction {
  classes: number[];
  probabilities: number[];
}

/**
 * Image classification as a {@link Task}: cross entropy (optionally label-smoothed, timm's or MindSpore's style)
 * on the logits, top-k accuracies as metrics, softmax top-k as decode.
 */
export function classificationTask(model: tf.LayersModel, opts: ClassificationTaskOptions = {}): Task<LabelledImageBatch, ClassPrediction[], { k?: number }> {
  const numClasses = (model.outputs[0].shape.at(-1) as number | null) ?? 0;
  const ks = opts.topK ?? (numClasses > 5 ? [1, 5] : [1]);
  const metrics: Record<string, TaskMetric<LabelledImageBatch>> = {};
  for (const k of ks) metrics[`top${k}`] = (out, b) => topKAccuracy(out[0] as tf.Tensor2D, b.labels, k);
  return {
    name: `classification:${model.name}`,
    model,
    inputs: (b) => tf.tensor4d(b.images, b.shape as [number, number, number, number]),
    loss: (out, b) => {
      const labels = b.targets ? tf.tensor2d(b.targets, [b.labels.length, b.targets.length / b.labels.length]) : b.labels;
      const total = crossEntropy(out[0], labels, opts.loss);
      return { total, terms: { cross_entropy: total } };
    },
    metrics,
    decode: async (out, { k = Math.min(5, numClasses) } = {}) => {
      const { values, indices } = tf.tidy(() => tf.topk(tf.softmax(out[0]), k));
      const [p, c] = await Promise.all([values.array(), indices.array()]);
      tf.dispose([values, indices]);
      return (c as number[][]).map((classes, i) => ({ classes, probabilities: (p as number[][])[i] }));
    },
  };
}
