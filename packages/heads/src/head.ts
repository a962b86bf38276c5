import * as tf from '@tensorflow/tfjs';
import type { FeatureInfo, Sym } from '@hrnet/core';

/**
 * The contract every task head follows (see README "The Head contract").
 *
 * A head receives the backbone's multi-resolution features as symbolic tensors, highest resolution first,
 * with one {@link FeatureInfo} per feature (channels, reduction = input side / feature side), and returns its
 * symbolic outputs. The caller composes backbone + head into one functional `tf.model`, so the whole network
 * is one graph: one `predict`, one set of weights, layer names = PyTorch module paths for checkpoint loading.
 */
export type Head = (features: Sym[], featureInfo: FeatureInfo[]) => Sym[];

/** A loss result: the scalar that is differentiated plus named terms for logging (all scalars). */
export interface LossTerms {
  total: tf.Scalar;
  terms: Record<string, tf.Scalar>;
}

/**
 * A head's loss: model outputs (the order of the head's outputs) and a batch of targets → {@link LossTerms}.
 * Must be built from tf ops only, so `tf.variableGrads` differentiates it, and must not keep tensors.
 */
export type HeadLoss<Batch> = (outputs: tf.Tensor[], batch: Batch) => LossTerms;

/** Turns raw model outputs into task results (labels, keypoints, masks); runs outside the graph. */
export type HeadDecoder<Result, Options = Record<string, never>> = (outputs: tf.Tensor[], opts?: Options) => Result | Promise<Result>;

/** Checks a head's declared input against the features it is given; throws a message naming the head. */
export function expectFeatures(head: string, features: Sym[], info: FeatureInfo[], want: { min: number; firstReduction?: number }): void {
  if (features.length !== info.length) {
    throw new Error(`${head}: got ${features.length} features but ${info.length} featureInfo entries`);
  }
  if (features.length < want.min) throw new Error(`${head}: needs at least ${want.min} feature maps, got ${features.length}`);
  if (want.firstReduction != null && info[0].reduction !== want.firstReduction) {
    throw new Error(`${head}: expects its first feature at 1/${want.firstReduction} resolution, got 1/${info[0].reduction}`);
  }
}

/** One functional model: `input` → backbone `features` → `head` outputs. */
export function composeHeadModel(args: { input: Sym; features: Sym[]; featureInfo: FeatureInfo[]; head: Head; name: string }): tf.LayersModel {
  const outputs = args.head(args.features, args.featureInfo);
  return tf.model({ inputs: args.input, outputs: outputs.length === 1 ? outputs[0] : outputs, name: args.name });
}

/** Adapts a {@link HeadLoss} to `@hrnet/train`'s `loss(outputs, batch) → tf.Scalar`. */
export function lossTotal<Batch>(loss: HeadLoss<Batch>): (outputs: tf.Tensor | tf.Tensor[], batch: Batch) => tf.Scalar {
  return (outputs, batch) => loss(Array.isArray(outputs) ? outputs : [outputs], batch).total;
}
