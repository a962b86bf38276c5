import * as tf from '@tensorflow/tfjs';
import { BN_GRAD_REDUCE, BROADCAST_DIV, RELU_GRAD } from './kernels/batchnorm.js';

/**
 * Gradient functions for FusedBatchNorm, Mean and Relu that, while the native kernels are in use on the
 * wasm backend, compute the same gradients in far fewer passes over the data:
 * - FusedBatchNorm: tfjs's composition makes about 14 full-size tensors per layer (tile, several
 *   products, three reductions); here dx is one product and the statistic gradients two reductions.
 * - Mean (the BatchNorm statistics and global pooling): dy / n broadcast in one pass instead of a
 *   tensor of ones, a product and a division.
 * - Relu: dy * step(x) in one pass instead of two.
 * Everywhere else (other backends, unsupported shapes or dtypes) they call tfjs's own gradient
 * function unchanged. The replaced configs are restored by {@link restoreGradients}.
 */

type GradConfig = tf.GradConfig & { __hrnetNativeGrad?: boolean };
type Saved = tf.Tensor[];

const MARK = '__hrnetNativeGrad';

const isF32 = (...ts: Array<tf.Tensor | undefined>) => ts.every((t) => t == null || t.dtype === 'float32');
/** A [C]-sized per-channel tensor for channels-last `x` ([C] or [1, ..., 1, C]). */
const perChannel = (t: tf.Tensor | undefined, c: number) => t == null || (t.size === c && t.shape[t.shape.length - 1] === c);

function fusedBatchNormGrad(original: tf.GradConfig, active: () => boolean): tf.GradConfig['gradFunc'] {
  return (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as Saved;
    const g = Array.isArray(dy) ? dy[0] : dy;
    const c = x.shape[x.rank - 1];
    if (!active() || x.rank < 2 || x.size === 0 || !isF32(g, x, mean, variance, scale) || ![mean, variance, scale].every((t) => perChannel(t, c))) {
      return original.gradFunc(dy, saved, attrs);
    }
    const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
    const axes = [...Array(x.rank - 1).keys()];
    const flat = (t: tf.Tensor) => tf.reshape(t, [c]);
    const rsqrt = () => tf.rsqrt(tf.add(flat(variance), tf.scalar(eps)));
    const scaleValue = () => (scale ? flat(scale) : tf.scalar(1));
    const dyXmu = () => tf.engine().runKernel(BN_GRAD_REDUCE, { dy: g, x, mean: flat(mean) }) as tf.Tensor;
    return {
      x: () => tf.mul(g, tf.mul(rsqrt(), scaleValue())),
      mean: () => tf.reshape(tf.mul(tf.sum(g, axes), tf.mul(tf.neg(rsqrt()), scaleValue())), mean.shape),
      variance: () => {
        const r = rsqrt();
        return tf.reshape(tf.mul(dyXmu(), tf.mul(tf.mul(tf.mul(tf.mul(r, r), r), tf.scalar(-0.5)), scaleValue())), mean.shape);
      },
      scale: () => tf.reshape(tf.mul(dyXmu(), rsqrt()), mean.shape),
      offset: () => tf.reshape(tf.sum(g, axes), mean.shape),
    };
  };
}

function meanGrad(original: tf.GradConfig, active: () => boolean): tf.GradConfig['gradFunc'] {
  return (dy, saved, attrs) => {
    const [x] = saved as Saved;
    const g = Array.isArray(dy) ? dy[0] : dy;
    if (!active() || x.size === 0 || !isF32(g, x)) return original.gradFunc(dy, saved, attrs);
    const axes = [...new Set(tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape))].sort((a, b) => a - b);
    const first = axes[0];
    const last = axes[axes.length - 1];
    if (axes.length === 0 || last - first + 1 !== axes.length) return original.gradFunc(dy, saved, attrs);
    const pre = x.shape.slice(0, first).reduce((a, b) => a * b, 1);
    const mid = x.shape.slice(first, last + 1).reduce((a, b) => a * b, 1);
    const post = x.shape.slice(last + 1).reduce((a, b) => a * b, 1);
    return { x: () => tf.engine().runKernel(BROADCAST_DIV, { x: g }, { pre, mid, post, divisor: mid, shape: x.shape }) as tf.Tensor };
  };
}

function reluGrad(original: tf.GradConfig, active: () => boolean): tf.GradConfig['gradFunc'] {
  return (dy, saved, attrs) => {
    const [x] = saved as Saved;
    const g = Array.isArray(dy) ? dy[0] : dy;
    if (!active() || x.size === 0 || !isF32(g, x)) return original.gradFunc(dy, saved, attrs);
    return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: g, x }) as tf.Tensor };
  };
}

const BUILDERS: Record<string, (original: tf.GradConfig, active: () => boolean) => tf.GradConfig['gradFunc']> = {
  FusedBatchNorm: fusedBatchNormGrad,
  Mean: meanGrad,
  Relu: reluGrad,
};

/**
 * Installs our gradient configs over tfjs's (kept in `originals`); `active` says whether the current
 * call may use the native kernels. Idempotent.
 */
export function installGradients(originals: Map<string, tf.GradConfig>, active: () => boolean): void {
  for (const [kernelName, build] of Object.entries(BUILDERS)) {
    const current = tf.getGradient(kernelName) as GradConfig | undefined;
    if (!current || current[MARK]) continue;
    originals.set(kernelName, current);
    const config: GradConfig = { ...current, gradFunc: build(current, active), [MARK]: true };
    tf.registerGradient(config);
  }
}

/** Puts tfjs's gradient configs back. */
export function restoreGradients(originals: Map<string, tf.GradConfig>): void {
  for (const [kernelName, original] of originals) {
    const current = tf.getGradient(kernelName) as GradConfig | undefined;
    if (current?.[MARK]) tf.registerGradient(original);
  }
  originals.clear();
}
