import * as tf from '@tensorflow/tfjs';
import { Act, MatMulParam } from '../params.js';
import { activationCode, fallBack, isF32, offsetOf, perChannelBias, runOrFallBack, sizeOf, type KernelArgs, type KernelContext, type NativeKernel } from './common.js';

/**
 * BatchMatMul and _FusedMatMul (bias + relu/relu6/leakyrelu) as one oneDNN matmul. Transposes are read
 * in place through strides. Batches: equal, or one side unbatched (broadcast); a batched `a` times an
 * unbatched `b` runs as one [batch·m, k] x [k, n] product. Other broadcasts fall back.
 */
function matmul(name: string, ctx: KernelContext, fused: boolean): NativeKernel {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs = {} } = args;
    const { a, b, bias, preluActivationWeights } = inputs;
    const act = fused ? activationCode(attrs.activation) : Act.linear;
    const transA = Boolean(attrs.transposeA);
    const transB = Boolean(attrs.transposeB);
    let plan: { p: Float64Array; outShape: number[] } | undefined;
    if (a && b && a.shape.length >= 2 && b.shape.length >= 2 && isF32(a, b, bias) && !preluActivationWeights && act !== undefined) {
      plan = planMatMul(a.shape, b.shape, transA, transB);
      if (plan && !perChannelBias(bias, plan.outShape[plan.outShape.length - 1])) plan = undefined;
    }
    if (!plan || !a || !b) return fallBack(name, ctx, args);
    const { p, outShape } = plan;
    p[MatMulParam.act] = act!;
    p[MatMulParam.alpha] = Number(attrs.leakyreluAlpha ?? 0.2);
    return runOrFallBack(name, ctx, args, outShape, (heap, out) => {
      p[MatMulParam.a] = offsetOf(backend, a);
      p[MatMulParam.b] = offsetOf(backend, b);
      p[MatMulParam.bias] = bias ? offsetOf(backend, bias) : -1;
      p[MatMulParam.out] = offsetOf(backend, out);
      return ctx.addon.matmul(heap, p);
    });
  };
}

function planMatMul(aShape: number[], bShape: number[], transA: boolean, transB: boolean): { p: Float64Array; outShape: number[] } | undefined {
  const ra = aShape.length;
  const rb = bShape.length;
  const m = transA ? aShape[ra - 1] : aShape[ra - 2];
  const k = transA ? aShape[ra - 2] : aShape[ra - 1];
  const kb = transB ? bShape[rb - 1] : bShape[rb - 2];
  const n = transB ? bShape[rb - 2] : bShape[rb - 1];
  if (k !== kb || !(m > 0 && k > 0 && n > 0)) return undefined; // the fallback reports the error
  let outBatch: number[];
  try {
    outBatch = tf.backend_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  } catch {
    return undefined;
  }
  let ba = sizeOf(aShape.slice(0, -2));
  const bb = sizeOf(bShape.slice(0, -2));
  const batch = sizeOf(outBatch);
  if (!(batch > 0) || !(ba === batch || ba === 1) || !(bb === batch || bb === 1)) return undefined;
  let rows = m;
  if (bb === 1 && ba > 1 && !transA) {
    rows = ba * m;
    ba = 1;
  }
  const p = new Float64Array(MatMulParam.count);
  p[MatMulParam.batchA] = ba;
  p[MatMulParam.batchB] = bb;
  p[MatMulParam.m] = rows;
  p[MatMulParam.k] = k;
  p[MatMulParam.n] = n;
  p[MatMulParam.transA] = transA ? 1 : 0;
  p[MatMulParam.transB] = transB ? 1 : 0;
  return { p, outShape: [...outBatch, m, n] };
}

export function matmulKernels(ctx: KernelContext): Record<string, NativeKernel> {
  return {
    BatchMatMul: matmul('BatchMatMul', ctx, false),
    _FusedMatMul: matmul('_FusedMatMul', ctx, true),
  };
}
