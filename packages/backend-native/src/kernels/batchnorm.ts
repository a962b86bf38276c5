import { BatchNormParam, BnGradReduceParam, BnTrainGradParam, BnTrainParam, BroadcastDivParam, ReluGradParam } from '../params.js';
import { ELTWISE_MIN_ELEMENTS } from './eltwise.js';
import { fallBack, isF32, offsetOf, perChannelBias, runNative, runOrFallBack, sizeOf, type KernelArgs, type KernelContext, type NativeKernel } from './common.js';

/** Kernels only our gradient functions call (see gradients.ts); registered for the wasm backend. */
export const BN_GRAD_REDUCE = 'HrnetNativeBnGradReduce';
export const BROADCAST_DIV = 'HrnetNativeBroadcastDiv';
export const RELU_GRAD = 'HrnetNativeReluGrad';

/**
 * Training-mode BatchNorm for a model's own BatchNorm op to call when registered for the current backend
 * (`tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend())`), channels-last float32 `x`:
 * - `HrnetBatchNormTrain`: inputs { x, gamma?, beta? }, attrs { epsilon } → [y, mean, variance], batch
 *   statistics over all axes but the last (variance biased), y = ((x − mean)·rstd)·gamma + beta with
 *   rstd = 1/√(variance + ε). Two passes.
 * - `HrnetBatchNormTrainGrad`: inputs { dy, x, mean, variance, gamma? }, attrs { epsilon } →
 *   [dx, dgamma, dbeta], with the statistics' dependence on x folded into dx (as PyTorch's kernel):
 *   dx = (dy − Σdy/n − x̂·Σ(dy·x̂)/n)·gamma·rstd. Two passes; needs x, not x̂, so nothing beyond the
 *   layer's input has to be kept for the backward pass.
 */
export const BATCH_NORM_TRAIN = 'HrnetBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'HrnetBatchNormTrainGrad';

type Info = NonNullable<KernelArgs['inputs'][string]>;

function channelsLast(name: string, x: Info | undefined, ...perChannel: Array<Info | undefined>): number {
  if (!x || x.dtype !== 'float32' || x.shape.length < 2 || sizeOf(x.shape) === 0) throw new Error(`${name}: x must be a non-empty float32 tensor of rank >= 2`);
  const c = x.shape[x.shape.length - 1];
  for (const t of perChannel) {
    if (t && (t.dtype !== 'float32' || !perChannelBias(t, c))) throw new Error(`${name}: per-channel inputs must be float32 with ${c} values`);
  }
  return c;
}

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
    if (!ok || !x || !mean || !variance) return fallBack(name, ctx, args);
    const p = new Float64Array(BatchNormParam.count);
    p[BatchNormParam.rows] = sizeOf(x.shape) / c;
    p[BatchNormParam.c] = c;
    p[BatchNormParam.eps] = Number(attrs.varianceEpsilon ?? 0.001);
    return runOrFallBack(name, ctx, args, [...x.shape], (heap, out) => {
      p[BatchNormParam.x] = offsetOf(backend, x);
      p[BatchNormParam.mean] = offsetOf(backend, mean);
      p[BatchNormParam.variance] = offsetOf(backend, variance);
      p[BatchNormParam.scale] = scale ? offsetOf(backend, scale) : -1;
      p[BatchNormParam.offset] = offset ? offsetOf(backend, offset) : -1;
      p[BatchNormParam.out] = offsetOf(backend, out);
      return ctx.addon.batchNorm(heap, p);
    });
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

function bnTrain(ctx: KernelContext): NativeKernel {
  return ({ inputs, backend, attrs = {} }: KernelArgs) => {
    const { x, gamma, beta } = inputs;
    const c = channelsLast(BATCH_NORM_TRAIN, x, gamma, beta);
    const p = new Float64Array(BnTrainParam.count);
    p[BnTrainParam.rows] = sizeOf(x!.shape) / c;
    p[BnTrainParam.c] = c;
    p[BnTrainParam.eps] = Number(attrs.epsilon ?? 1e-5);
    const outs = runNative(backend, [[...x!.shape], [c], [c]], (heap, [y, mean, variance]) => {
      p[BnTrainParam.x] = offsetOf(backend, x!);
      p[BnTrainParam.gamma] = gamma ? offsetOf(backend, gamma) : -1;
      p[BnTrainParam.beta] = beta ? offsetOf(backend, beta) : -1;
      p[BnTrainParam.y] = offsetOf(backend, y);
      p[BnTrainParam.mean] = offsetOf(backend, mean);
      p[BnTrainParam.variance] = offsetOf(backend, variance);
      return ctx.addon.bnTrain(heap, p);
    });
    ctx.count(BATCH_NORM_TRAIN, true);
    return outs! as never;
  };
}

function bnTrainGrad(ctx: KernelContext): NativeKernel {
  return ({ inputs, backend, attrs = {} }: KernelArgs) => {
    const { dy, x, mean, variance, gamma } = inputs;
    const c = channelsLast(BATCH_NORM_TRAIN_GRAD, x, mean, variance, gamma);
    if (!dy || dy.dtype !== 'float32' || sizeOf(dy.shape) !== sizeOf(x!.shape) || !mean || !variance) {
      throw new Error(`${BATCH_NORM_TRAIN_GRAD}: needs float32 dy shaped as x, and mean and variance`);
    }
    const p = new Float64Array(BnTrainGradParam.count);
    p[BnTrainGradParam.rows] = sizeOf(x!.shape) / c;
    p[BnTrainGradParam.c] = c;
    p[BnTrainGradParam.eps] = Number(attrs.epsilon ?? 1e-5);
    const outs = runNative(backend, [[...x!.shape], [c], [c]], (heap, [dx, dgamma, dbeta]) => {
      p[BnTrainGradParam.dy] = offsetOf(backend, dy);
      p[BnTrainGradParam.x] = offsetOf(backend, x!);
      p[BnTrainGradParam.mean] = offsetOf(backend, mean);
      p[BnTrainGradParam.variance] = offsetOf(backend, variance);
      p[BnTrainGradParam.gamma] = gamma ? offsetOf(backend, gamma) : -1;
      p[BnTrainGradParam.dx] = offsetOf(backend, dx);
      p[BnTrainGradParam.dgamma] = offsetOf(backend, dgamma);
      p[BnTrainGradParam.dbeta] = offsetOf(backend, dbeta);
      return ctx.addon.bnTrainGrad(heap, p);
    });
    ctx.count(BATCH_NORM_TRAIN_GRAD, true);
    return outs! as never;
  };
}

export function batchNormKernels(ctx: KernelContext): Record<string, NativeKernel> {
  return {
    [BATCH_NORM_TRAIN]: bnTrain(ctx),
    [BATCH_NORM_TRAIN_GRAD]: bnTrainGrad(ctx),
    FusedBatchNorm: fusedBatchNorm(ctx),
    [BN_GRAD_REDUCE]: bnGradReduce(ctx),
    [BROADCAST_DIV]: broadcastDiv(ctx),
    [RELU_GRAD]: reluGrad(ctx),
  };
}
