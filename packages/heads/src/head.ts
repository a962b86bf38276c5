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
