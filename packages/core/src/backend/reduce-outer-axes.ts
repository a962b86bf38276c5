import * as tf from '@tensorflow/tfjs';
import { callKernel, sizeOf, view, withScope, type Info, type KernelArgs } from './wasm-kernel-utils.js';

/**
 * `Sum` and `Mean` for wasm over a block of axes that does not include the last one — the per-channel
 * reductions over [N, H, W] of BatchNorm statistics, bias and BatchNorm gradients. The shipped kernels
 * transpose the whole tensor so the reduced axes become innermost, then loop (~10x the cost of a pass
 * over the data). Here the tensor is seen as [pre, P, 1, post] and reduced by one XNNPACK average pool
 * with a P x 1 window (SIMD, single pass; more accurate than the shipped sequential sum in tests), times P
 * for Sum. Anything else (innermost axes, non-contiguous axes, integer dtypes) uses the shipped kernel.
 */
function reduceOuter(kind: 'Sum' | 'Mean', { inputs, backend, attrs = {} }: KernelArgs): Info {
  const x = inputs.x!;
  const { axis, keepDims } = attrs as { axis: number | number[]; keepDims?: boolean };
  const rank = x.shape.length;
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
  const first = axes[0];
  const last = axes[axes.length - 1];
  const contiguous = axes.length > 0 && last - first + 1 === axes.length;
  if (x.dtype !== 'float32' || !contiguous || last === rank - 1 || sizeOf(x.shape) === 0) {
    return callKernel(kind, backend, inputs, attrs, true);
  }
  const pre = sizeOf(x.shape.slice(0, first));
  const p = sizeOf(x.shape.slice(first, last + 1));
  const post = sizeOf(x.shape.slice(last + 1));
  const outShape = keepDims
    ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
    : x.shape.filter((_, i) => i < first || i > last);
  return withScope(backend, (s) => {
    const pooled = s.run('AvgPool', { x: view(x, [pre, p, 1, post]) }, { filterSize: [p, 1], strides: [1, 1], pad: 'valid' });
    if (kind === 'Sum' && p !== 1) {
      const v = s.f32(pooled);
      for (let i = 0; i < v.length; i++) v[i] *= p;
    }
    return view(pooled, outShape);
  });
}

export const sum = (args: KernelArgs): Info => reduceOuter('Sum', args);
export const mean = (args: KernelArgs): Info => reduceOuter('Mean', args);
