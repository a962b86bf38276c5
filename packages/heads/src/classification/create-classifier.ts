import * as tf from '@tensorflow/tfjs';
import { hrnetFeatures, imageInput, resolveConfig, type ModelNameOrConfig } from '@hrnet/core';
import type { ModelOptions } from '../model-family.js';
import { classificationHead, type ClassificationHeadOptions } from './classification-head.js';
import { initClassifierWeights } from './init.js';

export interface ClassifierOptions extends ClassificationHeadOptions, ModelOptions {}

/**
 * An HRNet image classifier equal to timm's `HighResolutionNet` with the same cfg: input NHWC float32
 * [N, H, W, 3], output logits [N, numClasses]. Layer names are timm's parameter paths, so
 * `loadPytorchWeights(model, file, { naming: 'timm' })` loads timm / official checkpoints. With `seed`, timm's
 * `init_weights` is drawn from it.
 */
export function createClassifier(nameOrCfg: ModelNameOrConfig, opts: ClassifierOptions): tf.LayersModel {
  if (!Number.isInteger(opts?.numClasses) || opts.numClasses < 0) {
    throw new Error(`createClassifier: numClasses must be a non-negative integer, got ${opts?.numClasses}`);
  }
  const cfg = resolveConfig(nameOrCfg);
  const input = imageInput(opts);
  const logits = classificationHead(hrnetFeatures(input, cfg), opts);
  const model = tf.model({ inputs: input, outputs: logits, name: typeof nameOrCfg === 'string' ? nameOrCfg : 'hrnet_classifier' });
  if (opts.seed !== undefined) initClassifierWeights(model, opts.seed);
  return model;
}
