import * as tf from '@tensorflow/tfjs';
import { sumTensors } from './sum-tensors.js';

/**
 * `torch.nn.utils.clip_grad_norm_` (timm `--clip-grad` with `--clip-mode norm`): the global L2 norm over
 * all gradients, and every gradient scaled by `min(1, maxNorm / (norm + 1e-6))`. Returns new tensors
 * (use inside `tf.tidy`) and the norm before clipping as a scalar tensor.
 */
export function clipGradNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const names = Object.keys(grads);
  if (names.length === 0) return { grads, norm: tf.scalar(0) };
  const norm = tf.sqrt(sumTensors(names.map((k) => tf.sum(tf.square(grads[k]))))) as tf.Scalar;
  const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
  const out: tf.NamedTensorMap = {};
  for (const k of names) out[k] = tf.mul(grads[k], coef);
  return { grads: out, norm };
}

/** `torch.nn.utils.clip_grad_value_` (timm `--clip-mode value`): every element clamped to [-clip, clip]. */
export function clipGradValue(grads: tf.NamedTensorMap, clip: number): tf.NamedTensorMap {
  if (!(clip > 0)) throw new Error(`clipGradValue: clip must be > 0, got ${clip}`);
  const out: tf.NamedTensorMap = {};
  for (const [k, g] of Object.entries(grads)) out[k] = tf.clipByValue(g, -clip, clip);
  return out;
}

/** What the Trainer clips: the global norm (default) or each value. */
export interface GradClipOptions {
  mode?: 'norm' | 'value';
  max: number;
}
