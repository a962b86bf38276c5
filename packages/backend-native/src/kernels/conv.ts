import * as tf from '@tensorflow/tfjs';
import { Act, ConvMode, ConvParam } from '../params.js';
import { activationCode, isF32, offsetOf, perChannelBias, runNative, sizeOf, type KernelArgs, type KernelContext, type NativeKernel } from './common.js';

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

/** tf's shape inference; undefined when it rejects the arguments (the fallback then reports the error). */
function convInfo(...args: Parameters<typeof tf.backend_util.computeConv2DInfo>): tf.backend_util.Conv2DInfo | undefined {
  try {
    return tf.backend_util.computeConv2DInfo(...args);
  } catch {
    return undefined;
  }
}

const channelsOf = (dataFormat: unknown) => (dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast');

interface ForwardSpec {
  depthwise: boolean;
  fused: boolean;
}

/** Conv2D, FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2D. */
function forward(name: string, ctx: KernelContext, { depthwise, fused }: ForwardSpec): NativeKernel {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs = {} } = args;
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
    const nchw = attrs.dataFormat === 'NCHW';
    const act = fused ? activationCode(attrs.activation) : Act.linear;
    let p: Float64Array | undefined;
    let info: tf.backend_util.Conv2DInfo | undefined;
    if (
      x && filter && x.shape.length === 4 && filter.shape.length === 4 && isF32(x, filter, bias) && !preluActivationWeights && act !== undefined &&
      !(depthwise && nchw) && !(nchw && bias)
    ) {
      info = convInfo(
        x.shape as Shape4,
        filter.shape as Shape4,
        attrs.strides as number | [number, number],
        (attrs.dilations ?? 1) as number | [number, number],
        attrs.pad as Pad,
        attrs.dimRoundingMode as Rounding,
        depthwise,
        channelsOf(attrs.dataFormat),
      );
      if (info && perChannelBias(bias, info.outChannels)) p = geometry(info, ConvMode.forward, depthwise ? info.inChannels : 1, nchw);
    }
    if (!p || !info || !x || !filter) {
      ctx.count(name, false);
      return ctx.fallback(name, args);
    }
    const params = p;
    params[ConvParam.act] = act!;
    params[ConvParam.alpha] = Number(attrs.leakyreluAlpha ?? 0.2);
    const outs = runNative(backend, [info.outShape], (heap, [y]) => {
      params[ConvParam.src] = offsetOf(backend, x);
      params[ConvParam.wei] = offsetOf(backend, filter);
      params[ConvParam.bias] = bias ? offsetOf(backend, bias) : -1;
      params[ConvParam.dst] = offsetOf(backend, y);
      return ctx.addon.conv(heap, params);
    });
    ctx.count(name, outs !== undefined);
    return outs ? outs[0] : ctx.fallback(name, args);
  };
}

/** Conv2DBackpropInput and DepthwiseConv2dNativeBackpropInput: dx from dy and the filter. */
function backpropInput(name: string, ctx: KernelContext, depthwise: boolean): NativeKernel {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs = {} } = args;
    const { dy, filter } = inputs;
    const nchw = attrs.dataFormat === 'NCHW';
    const inputShape = attrs.inputShape as Shape4;
    let p: Float64Array | undefined;
    if (dy && filter && dy.shape.length === 4 && filter.shape.length === 4 && isF32(dy, filter) && !(depthwise && nchw)) {
      const info = convInfo(
        inputShape,
        filter.shape as Shape4,
        attrs.strides as number | [number, number],
        (attrs.dilations ?? 1) as number | [number, number],
        attrs.pad as Pad,
        attrs.dimRoundingMode as Rounding,
        depthwise,
        channelsOf(attrs.dataFormat),
      );
      if (info?.outShape.every((d, i) => d === dy.shape[i])) p = geometry(info, ConvMode.backwardData, depthwise ? info.inChannels : 1, nchw);
    }
    if (!p || !dy || !filter) {
      ctx.count(name, false);
      return ctx.fallback(name, args);
    }
    const params = p;
    const outs = runNative(backend, [[...inputShape]], (heap, [dx]) => {
      params[ConvParam.src] = offsetOf(backend, dx);
      params[ConvParam.wei] = offsetOf(backend, filter);
      params[ConvParam.dst] = offsetOf(backend, dy);
      return ctx.addon.conv(heap, params);
    });
    ctx.count(name, outs !== undefined);
    return outs ? outs[0] : ctx.fallback(name, args);
  };
}

/** Conv2DBackpropFilter and DepthwiseConv2dNativeBackpropFilter: dW from x and dy. */
function backpropFilter(name: string, ctx: KernelContext, depthwise: boolean): NativeKernel {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs = {} } = args;
    const { x, dy } = inputs;
    const nchw = attrs.dataFormat === 'NCHW';
    const filterShape = attrs.filterShape as Shape4;
    let p: Float64Array | undefined;
    if (x && dy && x.shape.length === 4 && dy.shape.length === 4 && isF32(x, dy) && !(depthwise && nchw)) {
      const info = convInfo(
        x.shape as Shape4,
        filterShape,
        attrs.strides as number | [number, number],
        (attrs.dilations ?? 1) as number | [number, number],
        attrs.pad as Pad,
        attrs.dimRoundingMode as Rounding,
        depthwise,
        channelsOf(attrs.dataFormat),
      );
      if (info?.outShape.every((d, i) => d === dy.shape[i])) p = geometry(info, ConvMode.backwardWeights, depthwise ? info.inChannels : 1, nchw);
    }
    if (!p || !x || !dy || sizeOf(filterShape) === 0) {
      ctx.count(name, false);
      return ctx.fallback(name, args);
    }
    const params = p;
    const outs = runNative(backend, [[...filterShape]], (heap, [dw]) => {
      params[ConvParam.src] = offsetOf(backend, x);
      params[ConvParam.wei] = offsetOf(backend, dw);
      params[ConvParam.dst] = offsetOf(backend, dy);
      return ctx.addon.conv(heap, params);
    });
    ctx.count(name, outs !== undefined);
    return outs ? outs[0] : ctx.fallback(name, args);
  };
}

export function convKernels(ctx: KernelContext): Record<string, NativeKernel> {
  return {
    Conv2D: forward('Conv2D', ctx, { depthwise: false, fused: false }),
    FusedConv2D: forward('FusedConv2D', ctx, { depthwise: false, fused: true }),
    DepthwiseConv2dNative: forward('DepthwiseConv2dNative', ctx, { depthwise: true, fused: false }),
    FusedDepthwiseConv2D: forward('FusedDepthwiseConv2D', ctx, { depthwise: true, fused: true }),
    Conv2DBackpropInput: backpropInput('Conv2DBackpropInput', ctx, false),
    DepthwiseConv2dNativeBackpropInput: backpropInput('DepthwiseConv2dNativeBackpropInput', ctx, true),
    Conv2DBackpropFilter: backpropFilter('Conv2DBackpropFilter', ctx, false),
    DepthwiseConv2dNativeBackpropFilter: backpropFilter('DepthwiseConv2dNativeBackpropFilter', ctx, true),
  };
}
