import type * as tf from '@tensorflow/tfjs';

/**
 * The contract between a model family and the training loop: types only, so @hrnet/heads (which implements
 * tasks) and @hrnet/train (which drives them) both see it without depending on each other.
 */

/** A loss result: the scalar that is differentiated plus named scalar terms for logging. */
export interface LossTerms {
  total: tf.Scalar;
  terms: Record<string, tf.Scalar>;
}

/** A per-batch mean of something, from the model outputs (in the model's output order) and the batch. */
export type TaskMetric<Batch> = (outputs: tf.Tensor[], batch: Batch) => tf.Scalar;

/** Turns raw model outputs into task results (labels, keypoints, masks); runs outside the graph. */
export type TaskDecoder<Result, Options = Record<string, never>> = (outputs: tf.Tensor[], opts?: Options) => Result | Promise<Result>;

/**
 * What a trainer needs to train one family on one kind of batch: the model, how a batch becomes its input,
 * the loss of its outputs (built from tf ops only, so it can be differentiated, and keeping no tensors),
 * optional metrics, and how outputs become results.
 */
export interface Task<Batch, Result = unknown, DecodeOptions = Record<string, never>> {
  /** The family / preset it was built for, for logs. */
  readonly name: string;
  readonly model: tf.LayersModel;
  /** Model input of a batch (called inside a tidy scope). */
  inputs(batch: Batch): tf.Tensor | tf.Tensor[];
  /** Loss of the outputs (model output order) against the batch's targets. */
  loss(outputs: tf.Tensor[], batch: Batch): LossTerms;
  /** Evaluated with the loss on validation data. */
  readonly metrics?: Readonly<Record<string, TaskMetric<Batch>>>;
  readonly decode?: TaskDecoder<Result, DecodeOptions>;
}
