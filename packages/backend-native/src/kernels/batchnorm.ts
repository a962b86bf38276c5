import { BatchNormParam, BnGradReduceParam, BroadcastDivParam, ReluGradParam } from '../params.js';
import { ELTWISE_MIN_ELEMENTS } from './eltwise.js';
import { isF32, offsetOf, perChannelBias, runNative, sizeOf, type KernelArgs, type KernelContext, type NativeKernel } from './common.js';

/** Kernels only our gradient functions call (see gradients.ts); registered for the wasm backend. */
export const BN_GRAD_REDUCE = 'HrnetNativeBnGradReduce';
export const BROADCAST_DIV = 'HrnetNativeBroadcastDiv';
export const RELU_GRAD = 'HrnetNativeReluGrad';

/** FusedBatchNorm over channels-last data with per-channel statistics, in one pass on 2 threads. */
function fusedBatchNorm(ctx: KernelContext): NativeKernel {
  const name = 'FusedBatchNorm';
  return (args: KernelArgs) => {
    const { inputs, backend, attrs = {} } = args;
    const { x, mean, variance, offset, scale } = inputs;
    const c = x?.shape[x.shape.length - 1] ?? 0;
    const ok =
      x && mean && variance && x.shape.length > 0 && c > 0 && isF32(x, mean, variance, offset, scale) && sizeOf(x.shape) >= ELTWISE_MIN_ELEMENTS &&
      [mean, variance, offset, scale].every((t) => t == null || (perChannelBias(t, c) && t.shape.length > 0));
    if (!ok || !x || !mean || !variance) {
      ctx.count(name, false);
      return ctx.fallback(name, args);
    }
    const p = new Float64Array(BatchNormParam.count);
    p[BatchNormParam.rows] = sizeOf(x.shape) / c;
    p[BatchNormParam.c] = c;
    p[BatchNormParam.eps] = Number(attrs.varianceEpsilon ?? 0.001);
    const outs = runNative(backend, [[...x.shape]], (heap, [out]) => {
      p[BatchNormParam.x] = offsetOf(backend, x);
      p[BatchNormParam.mean] = offsetOf(backend, mean);
      p[BatchNormParam.variance] = offsetOf(backend, variance);
      p[BatchNormParam.scale] = scale ? offsetOf(backend, scale) : -1;
      p[BatchNormParam.offset] = offset ? offsetOf(backend, offset) : -1;
      p[BatchNormParam.out] = offsetOf(backend, out);
      return ctx.addon.batchNorm(heap, p);
    });
    ctx.count(name, outs !== undefined);
    return outs ? outs[0] : ctx.fallback(name, args);
  };
}

/** [C]: sum over all rows of dy * (x - mean), x and dy channels-last. */
function bnGradReduce(ctx: KernelContext): NativeKernel {
  return ({ inputs, backend }: KernelArgs) => {
    const { dy, x, mean } = inputs as Record<string, NonNullable<KernelArgs['inputs'][string]>>;
    const c = x.shape[x.shape.length - 1];
    const p = new Float64Array(BnGradReduceParam.count);
    p[BnGradReduceParam.rows] = sizeOf(x.shape) / c;
    p[BnGradReduceParam.c] = c;
    const outs = runNative(backend, [[c]], (heap, [out]) => {
      p[BnGradReduceParam.dy] = offsetOf(backend, dy);
      p[BnGradReduceParam.x] = offsetOf(backend, x);
      p[BnGradReduceParam.mean] = offsetOf(backend, mean);
      p[BnGradReduceParam.out] = offsetOf(backend, out);
      return ctx.addon.bnGradReduce(heap, p);
    });
    ctx.count(BN_GRAD_REDUCE, true);
    return outs![0];
  };
}

/** out [pre, mid, post] (attrs.shape) = x [pre, post] / divisor, repeated along mid: Mean's gradient. */
function broadcastDiv(ctx: KernelContext): NativeKernel {
  return ({ inputs, backend, attrs = {} }: KernelArgs) => {
    const x = inputs.x!;
    const { pre, mid, post, divisor, shape } = attrs as { pre: number; mid: number; post: number; divisor: number; shape: number[] };
    const p = new Float64Array(BroadcastDivParam.count);
    p[BroadcastDivParam.pre] = pre;
    p[BroadcastDivParam.mid] = mid;
    p[BroadcastDivParam.post] = post;
    p[BroadcastDivParam.divisor] = divisor;
    const outs = runNative(backend, [shape], (heap, [out]) => {
      p[BroadcastDivParam.src] = offsetOf(backend, x);
      p[BroadcastDivParam.out] = offsetOf(backend, out);
      return ctx.addon.broadcastDiv(heap, p);
    });
    ctx.count(BROADCAST_DIV, true);
    return outs![0];
  };
}

/** dy * step(x) in one pass. */
function reluGrad(ctx: KernelContext): NativeKernel {
  return ({ inputs, backend }: KernelArgs) => {
    const { dy, x } = inputs as Record<string, NonNullable<KernelArgs['inputs'][string]>>;
    const p = new Float64Array(ReluGradParam.count);
    p[ReluGradParam.n] = sizeOf(x.shape);
    const outs = runNative(backend, [[...x.shape]], (heap, [out]) => {
      p[ReluGradParam.dy] = offsetOf(backend, dy);
      p[ReluGradParam.x] = offsetOf(backend, x);
      p[ReluGradParam.out] = offsetOf(backend, out);
      return ctx.addon.reluGrad(heap, p);
    });
    ctx.count(RELU_GRAD, true);
    return outs![0];
  };
}

export function batchNormKernels(ctx: KernelContext): Record<string, NativeKernel> {
  return {
    FusedBatchNorm: fusedBatchNorm(ctx),
    [BN_GRAD_REDUCE]: bnGradReduce(ctx),
    [BROADCAST_DIV]: broadcastDiv(ctx),
    [RELU_GRAD]: reluGrad(ctx),
  };
}
