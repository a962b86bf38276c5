import * as tf from '@tensorflow/tfjs';
import { hrnetFeatures, imageInput, resolveConfig, type InputOptions, type ModelNameOrConfig } from '@hrnet/core';
import { classificationHead, type ClassificationHeadOptions } from './classification-head.js';

export interface ClassifierOptions extends ClassificationHeadOptions, InputOptions {}

/**
 * An HRNet image classifier equal to timm's `HighResolutionNet` with the same cfg: input NHWC float32
 * [N, H, W, 3], output logits [N, numClasses]. Layer names are timm's parameter paths, so
 * `loadPytorchWeights(model, file, { naming: 'timm' })` loads timm / official checkpoints.
 */
export function createClassifier(nameOrCfg: ModelNameOrConfig, opts: ClassifierOptions): tf.LayersModel {
  if (!Number.isInteger(opts?.numClasses) || opts.numClasses < 0) {
    throw new Error(`createClassifier: numClasses must be a non-negative integer, got ${opts?.numClasses}`);
  }
  const cfg = resolveConfig(nameOrCfg);
  const input = imageInput(opts);
  const logits = classificationHead(hrnetFeatures(input, cfg), opts);
  return tf.model({ inputs: input, outputs: logits, name: typeof nameOrCfg === 'string' ? nameOrCfg : 'hrnet_classifier' });
}
