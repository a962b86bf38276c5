import * as tf from '@tensorflow/tfjs';
import { NCHW_TO_NHWC, padsOf, view, withScope, type Info, type KernelArgs } from './wasm-kernel-utils.js';

/**
 * `Conv2DBackpropFilter` for wasm (missing from the shipped backend).
 *
 * dW[a, b, ci, co] = sum over n, i, j of xpad[n, i*s + a, j*s + b, ci] * dy[n, i, j, co] is itself a
 * convolution: the input transposed to [Ci, H, W, N] (channels = batch), filtered by dy transposed to
 * [Ho, Wo, N, Co], dilation = stride, gives [Ci, kh, kw, Co]. A 1x1 stride-1 unpadded conv is a plain
 * matrix product x^T dy, run as a 1x1 convolution (XNNPACK GEMM) of x^T [Ci, P] with dy [P, Co].
 * Any padding form; NCHW via transposes.
 */
export function conv2dBackpropFilter({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const x = inputs.x!;
  const dy = inputs.dy!;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
    strides: number | [number, number];
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dataFormat?: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter (wasm): float32 inputs expected, got ${x.dtype} / ${dy.dtype}`);
  }
  return withScope(backend, (s) => {
    const nchw = dataFormat === 'NCHW';
    const xh = nchw ? s.transpose(x, NCHW_TO_NHWC) : x;
    const dyh = nchw ? s.transpose(dy, NCHW_TO_NHWC) : dy;
    const [n, H, W, ci] = xh.shape;
    const [, ho, wo, co] = dyh.shape;
    const info = tf.backend_util.computeConv2DInfo(
      xh.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    if (info.outHeight !== ho || info.outWidth !== wo || info.outChannels !== co || filterShape[2] !== ci) {
      throw new Error(`Conv2DBackpropFilter: x [${xh.shape}] / dy [${dyh.shape}] do not match filter [${filterShape}]`);
    }
    const [kh, kw] = filterShape;
    const sy = info.strideHeight;
    const sx = info.strideWidth;
    const [pt, , pl] = padsOf(info);
    const p = n * H * W;
    if (kh === 1 && kw === 1 && sy === 1 && sx === 1 && padsOf(info).every((v) => v === 0)) {
      const xt = s.transpose(view(xh, [p, ci]), [1, 0]);
      const out = s.conv(view(xt, [1, 1, ci, p]), view(dyh, [1, 1, p, co]), { pads: [0, 0, 0, 0] });
      return view(out, filterShape);
    }
    const xt = s.transpose(xh, [3, 1, 2, 0]); // [Ci, H, W, N]
    const ft = s.transpose(dyh, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
    // Rows of x past the last one the conv reads are cropped (negative padding), extra ones padded.
    const pb = kh + sy * (ho - 1) - H - pt;
    const pr = kw + sx * (wo - 1) - W - pl;
    const out = s.conv(xt, ft, { dilations: [sy, sx], pads: [pt, pb, pl, pr] }); // [Ci, kh, kw, Co]
    return s.transpose(out, [1, 2, 0, 3]);
  });
}
