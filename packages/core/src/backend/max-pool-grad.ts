import * as tf from '@tensorflow/tfjs';
import { withScope, type Info, type KernelArgs } from './wasm-kernel-utils.js';

/**
 * `MaxPoolGrad` for wasm: the shipped kernel drops the gradient at some max positions. This one routes
 * each dy value to the first (row-major) maximum of its window, as the cpu backend and TensorFlow do.
 * A direct loop over the wasm heap, channels innermost.
 */
export function maxPoolGrad({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const dy = inputs.dy!;
  const input = inputs.input!;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  return withScope(backend, (s) => {
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const [n, H, W, C] = input.shape;
    const ho = info.outHeight;
    const wo = info.outWidth;
    const fh = info.effectiveFilterHeight;
    const fw = info.effectiveFilterWidth;
    const dh = info.dilationHeight;
    const dw = info.dilationWidth;
    const dx = s.zeros([n, H, W, C]);
    const X = s.heap(input);
    const D = s.f32(dy);
    const G = s.f32(dx);
    const best = new Float64Array(C);
    const where = new Int32Array(C);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < ho; i++) {
        const r0 = i * info.strideHeight - info.padInfo.top;
        for (let j = 0; j < wo; j++) {
          const c0 = j * info.strideWidth - info.padInfo.left;
          best.fill(-Infinity);
          where.fill(-1);
          for (let r = r0; r < r0 + fh; r += dh) {
            if (r < 0 || r >= H) continue;
            for (let c = c0; c < c0 + fw; c += dw) {
              if (c < 0 || c >= W) continue;
              const o = ((b * H + r) * W + c) * C;
              for (let d = 0; d < C; d++) {
                if (X[o + d] > best[d]) {
                  best[d] = X[o + d];
                  where[d] = o + d;
                }
              }
            }
          }
          const yo = ((b * ho + i) * wo + j) * C;
          for (let d = 0; d < C; d++) if (where[d] >= 0) G[where[d]] += D[yo + d];
        }
      }
    }
    return dx;
  });
}
