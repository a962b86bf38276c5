import * as tf from '@tensorflow/tfjs';
import { Act, ConvMode, ConvParam } from '../params.js';
import { activationCode, fallBack, isF32, offsetOf, perChannelBias, runOrFallBack, sizeOf, type KernelArgs, type KernelContext, type NativeKernel } from './common.js';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Shape4 = [number, number, number, number];

/**
 * Conv2D geometry for the addon, or undefined when it cannot run it (non-positive sizes or padding).
 * The trailing padding is recomputed by the addon from the output size, so tf's rounding modes that ask
 * for one more output than the padding covers read zeros there, as on the cpu backend.
 */
function geometry(info: tf.backend_util.Conv2DInfo, mode: number, groups: number, nchw: boolean): Float64Array | undefined {
  const { top, bottom, left, right } = info.padInfo;
  const H = info.inHeight;
  const W = info.inWidth;
  const ekh = info.effectiveFilterHeight;
  const ekw = info.effectiveFilterWidth;
  const sizes = [info.batchSize, info.inChannels, H, W, info.outChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth];
  if (!sizes.every((v) => Number.isInteger(v) && v > 0)) return undefined;
  if (![top, bottom, left, right].every((v) => Number.isInteger(v) && v >= 0)) return undefined;
  // The addon's check of the geometry, with the trailing padding it derives (see above).
  const fits = (size: number, lead: number, given: number, extent: number, stride: number, out: number) => {
    const trail = Math.max(0, (out - 1) * stride + extent - size - lead);
    return trail <= given + stride - 1 && size + lead + trail >= extent && Math.floor((size + lead + trail - extent) / stride) + 1 === out;
  };
  if (!fits(H, top, bottom, ekh, info.strideHeight, info.outHeight) || !fits(W, left, right, ekw, info.strideWidth, info.outWidth)) return undefined;
  const p = new Float64Array(ConvParam.count);
  p[ConvParam.mode] = mode;
  p[ConvParam.n] = info.batchSize;
  p[ConvParam.c] = info.inChannels;
  p[ConvParam.h] = H;
  p[ConvParam.w] = W;
  p[ConvParam.co] = info.outChannels;
  p[ConvParam.ho] = info.outHeight;
  p[ConvParam.wo] = info.outWidth;
  p[ConvParam.kh] = info.filterHeight;
  p[ConvParam.kw] = info.filterWidth;
  p[ConvParam.groups] = groups;
  p[ConvParam.sh] = info.strideHeight;
  p[ConvParam.sw] = info.strideWidth;
  p[ConvParam.dh] = info.dilationHeight;
  p[ConvParam.dw] = info.dilationWidth;
  p[ConvParam.pt] = top;
  p[ConvParam.pb] = bottom;
  p[ConvParam.pl] = left;
  p[ConvParam.pr] = right;
  p[ConvParam.nchw] = nchw ? 1 : 0;
  p[ConvParam.act] = Act.linear;
  p[ConvParam.bias] = -1;
  return p;
}

interface ConvPlan {
  info: tf.backend_util.Conv2DInfo;
  p: Float64Array;
}

/**
 * What every conv kernel reads from its attributes (strides, dilations, pad, dimRoundingMode, dataFormat):
 * tf's shape inference for a conv of `xShape` by `filterShape`, and the addon's parameters for it.
 * Undefined where the addon cannot run it (depthwise NCHW, arguments tf rejects, shapes `accept` refuses,
 * geometry the addon does not cover): the fallback then runs, and reports any error.
 */
function planConv(
  attrs: Record<string, unknown>,
  xShape: Shape4,
  filterShape: Shape4,
  { depthwise, mode, accept }: { depthwise: boolean; mode: number; accept: (info: tf.backend_util.Conv2DInfo) => boolean },
): ConvPlan | undefined {
  const nchw = attrs.dataFormat === 'NCHW';
  if (depthwise && nchw) return undefined;
  let info: tf.backend_util.Conv2DInfo;
  try {
    info = tf.backend_util.computeConv2DInfo(
      xShape,
      filterShape,
      attrs.strides as number | [number, number],
      (attrs.dilations ?? 1) as number | [number, number],
      attrs.pad as Pad,
      attrs.dimRoundingMode as Rounding,
      depthwise,
      nchw ? 'channelsFirst' : 'channelsLast',
    );
  } catch {
    return undefined;
  }
  if (!accept(info)) return undefined;
  const p = geometry(info, mode, depthwise ? info.inChannels : 1, nchw);
  return p && { info, p };
}

/** A gradient kernel's plan holds only where tf infers the forward output as `dy` is shaped. */
const shapedAs = (dy: tf.TensorInfo) => (info: tf.backend_util.Conv2DInfo) => info.outShape.every((d, i) => d === dy.shape[i]);

const is4d = (...ts: tf.TensorInfo[]) => ts.every((t) => t.shape.length === 4);

interface ForwardSpec {
  depthwise: boolean;
  fused: boolean;
}

/** Conv2D, FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2D. */
function forward(name: string, ctx: KernelContext, { depthwise, fused }: ForwardSpec): NativeKernel {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs = {} } = args;
    const { x, filter, bias, preluActivationWeights } = inputs;
    const act = fused ? activationCode(attrs.activation) : Act.linear;
    let plan: ConvPlan | undefined;
    if (x && filter && is4d(x, filter) && isF32(x, filter, bias) && !preluActivationWeights && act !== undefined && !(attrs.dataFormat === 'NCHW' && bias)) {
      const accept = (info: tf.backend_util.Conv2DInfo) => perChannelBias(bias, info.outChannels);
      plan = planConv(attrs, x.shape as Shape4, filter.shape as Shape4, { depthwise, mode: ConvMode.forward, accept });
    }
    if (!plan || !x || !filter) return fallBack(name, ctx, args);
    const { info, p } = plan;
    p[ConvParam.act] = act!;
    p[ConvParam.alpha] = Number(attrs.leakyreluAlpha ?? 0.2);
    return runOrFallBack(name, ctx, args, info.outShape, (heap, y) => {
      p[ConvParam.src] = offsetOf(backend, x);
      p[ConvParam.wei] = offsetOf(backend, filter);
      p[ConvParam.bias] = bias ? offsetOf(backend, bias) : -1;
      p[ConvParam.dst] = offsetOf(backend, y);
      return ctx.addon.conv(heap, p);
    });
  };
}

interface BackpropSpec {
  depthwise: boolean;
  /** The gradient wanted: of the conv's input (dx from dy and the filter) or of its filter (dW from x and dy). */
  of: 'input' | 'filter';
}

/** Conv2DBackpropInput, Conv2DBackpropFilter and their depthwise twins: one backward conv of the addon. */
function backprop(name: string, ctx: KernelContext, { depthwise, of }: BackpropSpec): NativeKernel {
  const mode = of === 'input' ? ConvMode.backwardData : ConvMode.backwardWeights;
  return (args: KernelArgs) => {
    const { inputs, backend, attrs = {} } = args;
    const dy = inputs.dy;
    // The operand dy pairs with, and the gradient's shape (given as an attribute: dy alone does not fix it).
    const operand = of === 'input' ? inputs.filter : inputs.x;
    const gradShape = (of === 'input' ? attrs.inputShape : attrs.filterShape) as Shape4;
    let plan: ConvPlan | undefined;
    if (dy && operand && is4d(dy, operand) && isF32(dy, operand)) {
      const [xShape, filterShape] = of === 'input' ? [gradShape, operand.shape as Shape4] : [operand.shape as Shape4, gradShape];
      plan = planConv(attrs, xShape, filterShape, { depthwise, mode, accept: shapedAs(dy) });
    }
    if (!plan || !dy || !operand || sizeOf(gradShape) === 0) return fallBack(name, ctx, args);
    const { p } = plan;
    return runOrFallBack(name, ctx, args, [...gradShape], (heap, grad) => {
      // The addon names a conv's tensors as the forward pass does: src (x), wei (filter), dst (y).
      const [src, wei] = of === 'input' ? [grad, operand] : [operand, grad];
      p[ConvParam.src] = offsetOf(backend, src);
      p[ConvParam.wei] = offsetOf(backend, wei);
      p[ConvParam.dst] = offsetOf(backend, dy);
      return ctx.addon.conv(heap, p);
    });
  };
}

export function convKernels(ctx: KernelContext): Record<string, NativeKernel> {
  return {
    Conv2D: forward('Conv2D', ctx, { depthwise: false, fused: false }),
    FusedConv2D: forward('FusedConv2D', ctx, { depthwise: false, fused: true }),
    DepthwiseConv2dNative: forward('DepthwiseConv2dNative', ctx, { depthwise: true, fused: false }),
    FusedDepthwiseConv2D: forward('FusedDepthwiseConv2D', ctx, { depthwise: true, fused: true }),
    Conv2DBackpropInput: backprop('Conv2DBackpropInput', ctx, { depthwise: false, of: 'input' }),
    DepthwiseConv2dNativeBackpropInput: backprop('DepthwiseConv2dNativeBackpropInput', ctx, { depthwise: true, of: 'input' }),
    Conv2DBackpropFilter: backprop('Conv2DBackpropFilter', ctx, { depthwise: false, of: 'filter' }),
    DepthwiseConv2dNativeBackpropFilter: backprop('DepthwiseConv2dNativeBackpropFilter', ctx, { depthwise: true, of: 'filter' }),
  };
}
