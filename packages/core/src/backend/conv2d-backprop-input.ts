import * as tf from '@tensorflow/tfjs';
import { gatherFlippedTaps, subpixelBackpropInput } from './subpixel-backprop-input.js';
import { callKernel, NCHW_TO_NHWC, NHWC_TO_NCHW, padsOf, withScope, type Info, type KernelArgs } from './wasm-kernel-utils.js';

/**
 * `Conv2DBackpropInput` for wasm (the shipped one is a scalar loop, ~2 GFLOP/s): the input gradient of
 * conv2d — and the forward pass of conv2dTranspose — as XNNPACK forward convolutions of dy with the
 * flipped filter, in/out channels swapped; strides > 1 by sub-pixel phases (no multiplies by inserted zeros).
 * Any padding form tf accepts; NCHW via transposes. Non-float32 inputs go to the shipped kernel.
 */
export function conv2dBackpropInput({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    return callKernel('Conv2DBackpropInput', backend, inputs, attrs, true);
  }
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs as {
    inputShape: [number, number, number, number];
    strides: number | [number, number];
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dataFormat?: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  return withScope(backend, (s) => {
    const nchw = dataFormat === 'NCHW';
    const xShape = (nchw ? NCHW_TO_NHWC.map((p) => inputShape[p]) : [...inputShape]) as [number, number, number, number];
    const dyh = nchw ? s.transpose(dy, NCHW_TO_NHWC) : dy;
    const fShape = filter.shape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(xShape, fShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    if (info.outHeight !== dyh.shape[1] || info.outWidth !== dyh.shape[2] || info.outChannels !== dyh.shape[3]) {
      throw new Error(`Conv2DBackpropInput: dy [${dyh.shape}] does not match the conv output [${info.outShape}]`);
    }
    const [kh, kw, ci, co] = fShape;
    const sy = info.strideHeight;
    const sx = info.strideWidth;
    // [kh, kw, Cout, Cin]: the filter of the correlation dy -> dx.
    const wt = s.transpose(filter, [0, 1, 3, 2]);
    const dx = subpixelBackpropInput(s, {
      dy: dyh,
      xShape,
      kernel: [kh, kw],
      strides: [sy, sx],
      dilations: [1, 1],
      pads: padsOf(info),
      subFilter: (ry, rx, ty, tx) => gatherFlippedTaps(s, wt, ry, rx, ty, tx, sy, sx, [ty, tx, co, ci]),
      phaseConv: (g, pads) => s.conv(dyh, g, { pads }),
    });
    return nchw ? s.transpose(dx, NHWC_TO_NCHW) : dx;
  });
}
