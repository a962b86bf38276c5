import * as tf from '@tensorflow/tfjs';
import { gatherFlippedTaps, subpixelBackpropInput } from './subpixel-backprop-input.js';
import { padsOf, view, withScope, type Info, type KernelArgs } from './wasm-kernel-utils.js';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
interface DepthwiseAttrs {
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * `DepthwiseConv2dNativeBackpropInput` for wasm (missing from the shipped backend): depthwise forward
 * convolutions of dy (C*M channels) with the flipped filter, sub-pixel phases for stride > 1, then a sum
 * over the channel multiplier M. Stride and dilation both > 1 (which tf's own gradient refuses) falls back
 * to a direct loop.
 */
export function depthwiseConv2dNativeBackpropInput({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  const { strides, pad, dilations = 1, dimRoundingMode, inputShape } = attrs as unknown as DepthwiseAttrs & {
    inputShape: [number, number, number, number];
  };
  return withScope(backend, (s) => {
    const fShape = filter.shape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(inputShape, fShape, strides, dilations, pad, dimRoundingMode, true);
    const [n, H, W, C] = inputShape;
    const [kh, kw, , m] = fShape;
    const sy = info.strideHeight;
    const sx = info.strideWidth;
    const dh = info.dilationHeight;
    const dw = info.dilationWidth;
    const [pt, , pl] = padsOf(info);
    if ((sy > 1 && dh > 1) || (sx > 1 && dw > 1)) {
      const dx = s.zeros([...inputShape]);
      const X = s.f32(dx);
      const D = s.f32(dy);
      const F = s.f32(filter);
      const [, ho, wo] = dy.shape;
      for (let b = 0; b < n; b++)
        for (let i = 0; i < ho; i++)
          for (let a = 0; a < kh; a++) {
            const r = i * sy + a * dh - pt;
            if (r < 0 || r >= H) continue;
            for (let j = 0; j < wo; j++)
              for (let e = 0; e < kw; e++) {
                const c0 = j * sx + e * dw - pl;
                if (c0 < 0 || c0 >= W) continue;
                const xo = ((b * H + r) * W + c0) * C;
                const yo = ((b * ho + i) * wo + j) * C * m;
                const fo = (a * kw + e) * C * m;
                for (let c = 0; c < C * m; c++) X[xo + Math.floor(c / m)] += D[yo + c] * F[fo + c];
              }
          }
      return dx;
    }
    const dx = subpixelBackpropInput(s, {
      dy,
      xShape: [n, H, W, C],
      kernel: [kh, kw],
      strides: [sy, sx],
      dilations: [dh, dw],
      pads: padsOf(info),
      // [kh, kw, C, M] seen as [kh, kw, C*M, 1]: one depthwise filter per dy channel.
      subFilter: (ry, rx, ty, tx) => gatherFlippedTaps(s, filter, ry, rx, ty, tx, sy, sx, [ty, tx, C * m, 1]),
      phaseConv: (g, pads) => {
        const out = s.conv(dy, view(g, [g.shape[0], g.shape[1], C * m, 1]), { pads, dilations: [dh, dw] }, true);
        if (m === 1) return out;
        const [on, oh, ow] = out.shape;
        return s.run('Sum', { x: view(out, [on, oh, ow, C, m]) }, { axis: [4], keepDims: false });
      },
    });
    return dx;
  });
}

/**
 * `DepthwiseConv2dNativeBackpropFilter` for wasm (missing from the shipped backend): a direct loop over
 * the wasm heap, dW[a, b, c, m] = sum over n, i, j of xpad[n, i*s + a*d, j*s + b*d, c] * dy[n, i, j, c*M + m],
 * accumulated in float64. Memory-bound, like the reference kernels.
 */
export function depthwiseConv2dNativeBackpropFilter({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const x = inputs.x!;
  const dy = inputs.dy!;
  const { strides, pad, dilations = 1, dimRoundingMode, filterShape } = attrs as unknown as DepthwiseAttrs & {
    filterShape: [number, number, number, number];
  };
  return withScope(backend, (s) => {
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      true,
    );
    const [n, H, W, C] = x.shape;
    const [, ho, wo] = dy.shape;
    const [kh, kw, , m] = filterShape;
    if (info.outHeight !== ho || info.outWidth !== wo || info.outChannels !== dy.shape[3]) {
      throw new Error(`DepthwiseConv2dNativeBackpropFilter: x [${x.shape}] / dy [${dy.shape}] do not match filter [${filterShape}]`);
    }
    const sy = info.strideHeight;
    const sx = info.strideWidth;
    const dh = info.dilationHeight;
    const dw = info.dilationWidth;
    const [pt, , pl] = padsOf(info);
    const cm = C * m;
    const acc = new Float64Array(kh * kw * cm);
    const out = s.alloc([...filterShape]);
    const X = s.f32(x);
    const D = s.f32(dy);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < ho; i++) {
        for (let a = 0; a < kh; a++) {
          const r = i * sy + a * dh - pt;
          if (r < 0 || r >= H) continue;
          for (let j = 0; j < wo; j++) {
            const yo = ((b * ho + i) * wo + j) * cm;
            for (let e = 0; e < kw; e++) {
              const c0 = j * sx + e * dw - pl;
              if (c0 < 0 || c0 >= W) continue;
              const xo = ((b * H + r) * W + c0) * C;
              const ao = (a * kw + e) * cm;
              if (m === 1) {
                for (let c = 0; c < C; c++) acc[ao + c] += X[xo + c] * D[yo + c];
              } else {
                for (let c = 0; c < C; c++) {
                  const xv = X[xo + c];
                  const o = c * m;
                  for (let q = 0; q < m; q++) acc[ao + o + q] += xv * D[yo + o + q];
                }
              }
            }
          }
        }
      }
    }
    s.f32(out).set(acc);
    return out;
  });
}
