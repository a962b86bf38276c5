import * as tf from '@tensorflow/tfjs';
import { BinaryMode, BinaryOp, BinaryParam, ReduceKind, ReduceOp, ReduceParam } from '../params.js';
import { fallBack, offsetOf, runOrFallBack, sizeOf, type KernelArgs, type KernelContext, type NativeKernel } from './common.js';

/**
 * Sizes where the addon pays off. Same-shape and scalar operations are memory-bound and the stock wasm
 * kernels (XNNPACK) stream them as fast on one thread: the addon takes them only where a second thread
 * helps (the addon's own threshold, 2^18 elements). Per-channel broadcasts and reductions are slow in the
 * stock kernels at any size worth a native call.
 */
export const ELTWISE_MIN_ELEMENTS = 1 << 15;
export const ELTWISE_PARALLEL_ELEMENTS = 1 << 18;

/** `shape` with leading 1s to `rank` axes. */
const padTo = (shape: number[], rank: number) => [...new Array<number>(rank - shape.length).fill(1), ...shape];

/**
 * How the addon sees `a op b`: both full, one side repeating along the innermost axes (a per-channel
 * vector against an NHWC tensor), or one side a scalar. Undefined: another broadcast (stock kernel).
 */
function binaryMode(a: number[], b: number[], out: number[]): { mode: number; period: number } | undefined {
  const n = sizeOf(out);
  const na = sizeOf(a);
  const nb = sizeOf(b);
  if (na === n && nb === n) return padTo(a, out.length).every((d, i) => d === padTo(b, out.length)[i]) ? { mode: BinaryMode.same, period: 1 } : undefined;
  if (nb === 1 && na === n) return { mode: BinaryMode.bScalar, period: 1 };
  if (na === 1 && nb === n) return { mode: BinaryMode.aScalar, period: 1 };
  // The smaller side must be [1, ..., 1, d_k, ..., d_last] with d matching the output's trailing axes.
  const suffix = (small: number[]) => {
    const s = padTo(small, out.length);
    const k = s.findIndex((d) => d !== 1);
    return k >= 0 && s.slice(k).every((d, i) => d === out[k + i]);
  };
  if (na === n && suffix(b)) return { mode: BinaryMode.bPeriodic, period: nb };
  if (nb === n && suffix(a)) return { mode: BinaryMode.aPeriodic, period: na };
  return undefined;
}

function binary(name: string, ctx: KernelContext, op: number): NativeKernel {
  return (args: KernelArgs) => {
    const { inputs, backend } = args;
    const { a, b } = inputs;
    let plan: { mode: number; period: number } | undefined;
    let outShape: number[] | undefined;
    if (a && b && a.dtype === 'float32' && b.dtype === 'float32') {
      try {
        outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      } catch {
        outShape = undefined; // the stock kernel reports it
      }
      if (outShape && sizeOf(outShape) >= ELTWISE_MIN_ELEMENTS) plan = binaryMode(a.shape, b.shape, outShape);
      const periodic = plan?.mode === BinaryMode.bPeriodic || plan?.mode === BinaryMode.aPeriodic;
      if (plan && !periodic && sizeOf(outShape!) < ELTWISE_PARALLEL_ELEMENTS) plan = undefined;
    }
    if (!plan || !outShape || !a || !b) return fallBack(name, ctx, args);
    const p = new Float64Array(BinaryParam.count);
    p[BinaryParam.op] = op;
    p[BinaryParam.mode] = plan.mode;
    p[BinaryParam.n] = sizeOf(outShape);
    p[BinaryParam.period] = plan.period;
    return runOrFallBack(name, ctx, args, outShape, (heap, out) => {
      p[BinaryParam.a] = offsetOf(backend, a);
      p[BinaryParam.b] = offsetOf(backend, b);
      p[BinaryParam.out] = offsetOf(backend, out);
      return ctx.addon.binary(heap, p);
    });
  };
}

/** Sum / Mean over leading axes (per-channel statistics of NHWC tensors) or trailing axes. */
function reduce(name: string, ctx: KernelContext, op: number): NativeKernel {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs = {} } = args;
    const x = inputs.x;
    let plan: { kind: number; rows: number; cols: number; outShape: number[] } | undefined;
    if (x && x.dtype === 'float32' && x.shape.length > 0 && sizeOf(x.shape) >= ELTWISE_MIN_ELEMENTS) {
      const rank = x.shape.length;
      let axes: number[] = [];
      try {
        axes = [...new Set(tf.util.parseAxisParam(attrs.axis as number | number[], x.shape))].sort((p, q) => p - q);
      } catch {
        axes = [];
      }
      const k = axes.length;
      const prefix = k > 0 && axes.every((v, i) => v === i);
      const suffix = k > 0 && axes.every((v, i) => v === rank - k + i);
      const outShape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
      if (suffix) plan = { kind: ReduceKind.inner, rows: sizeOf(x.shape.slice(0, rank - k)), cols: sizeOf(x.shape.slice(rank - k)), outShape };
      else if (prefix) plan = { kind: ReduceKind.outer, rows: sizeOf(x.shape.slice(0, k)), cols: sizeOf(x.shape.slice(k)), outShape };
    }
    if (!plan || !x) return fallBack(name, ctx, args);
    const p = new Float64Array(ReduceParam.count);
    p[ReduceParam.op] = op;
    p[ReduceParam.kind] = plan.kind;
    p[ReduceParam.rows] = plan.rows;
    p[ReduceParam.cols] = plan.cols;
    return runOrFallBack(name, ctx, args, plan.outShape, (heap, out) => {
      p[ReduceParam.x] = offsetOf(backend, x);
      p[ReduceParam.out] = offsetOf(backend, out);
      return ctx.addon.reduce(heap, p);
    });
  };
}

export function eltwiseKernels(ctx: KernelContext): Record<string, NativeKernel> {
  return {
    Add: binary('Add', ctx, BinaryOp.add),
    Sub: binary('Sub', ctx, BinaryOp.sub),
    Multiply: binary('Multiply', ctx, BinaryOp.mul),
    RealDiv: binary('RealDiv', ctx, BinaryOp.div),
    SquaredDifference: binary('SquaredDifference', ctx, BinaryOp.squaredDiff),
    Sum: reduce('Sum', ctx, ReduceOp.sum),
    Mean: reduce('Mean', ctx, ReduceOp.mean),
  };
}
