/**
 * `torch.nn.functional.interpolate(x, size, mode='bilinear', align_corners=False)` on host planes, with
 * PyTorch's CPU float32 arithmetic: source index `scale * (i + 0.5) - 0.5` clamped at 0 (scale = in / out
 * in float32), the right/bottom neighbour clamped to the edge, and
 * `out = (x00 * wx0 + x01 * wx1) * wy0 + (x10 * wx0 + x11 * wx1) * wy1` where each `t * w + t2 * w2` is
 * `fma(t, w, t2 * w2)` in float32, as the x86-64 PyTorch build computes it (bit-exact against the
 * grouping fixture's projected heatmaps and tags; plain separately-rounded products differ by 1 ulp in
 * about 5% of the values).
 */
import type { Planes } from './planes.js';

const f32 = Math.fround;

/**
 * Single-rounded float32 `a * b + c` (a fused multiply-add) for float32 inputs: the product is exact in
 * double; a double-rounding tie is resolved with the exact error of the double sum.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = f32(s);
  if (r === s) return r;
  const bb = s - p;
  const e = p - (s - bb) + (c - bb);
  if (e === 0) return r;
  const other = r + 2 * (s - r);
  if (f32(other) !== other) return r; // s is not halfway between two floats
  return e > 0 === other > r ? other : r;
}

interface AxisWeights {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float32Array;
  w1: Float32Array;
}

function axisWeights(inSize: number, outSize: number): AxisWeights {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float32Array(outSize);
  const w1 = new Float32Array(outSize);
  const scale = f32(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    let real = f32(f32(scale * f32(o + 0.5)) - 0.5);
    if (real < 0) real = 0;
    const idx = Math.floor(real);
    const lambda1 = Math.min(Math.max(f32(real - idx), 0), 1);
    i0[o] = idx;
    i1[o] = idx + (idx < inSize - 1 ? 1 : 0);
    w1[o] = lambda1;
    w0[o] = f32(1 - lambda1);
  }
  return { i0, i1, w0, w1 };
}

/** Bilinear resize (align_corners false) of every plane to `outHeight x outWidth`; same size is a copy. */
export function resizeBilinear(p: Planes, outHeight: number, outWidth: number): Planes {
  const { channels, height, width, data } = p;
  if (outHeight === height && outWidth === width) return { data: data.slice(), channels, height, width };
  if (!(outHeight > 0 && outWidth > 0)) throw new Error(`resizeBilinear: bad size ${outHeight}x${outWidth}`);
  const ys = axisWeights(height, outHeight);
  const xs = axisWeights(width, outWidth);
  const out = new Float32Array(channels * outHeight * outWidth);
  for (let c = 0; c < channels; c++) {
    const src = c * height * width;
    const dst = c * outHeight * outWidth;
    for (let oy = 0; oy < outHeight; oy++) {
      const r0 = src + ys.i0[oy]! * width;
      const r1 = src + ys.i1[oy]! * width;
      const wy0 = ys.w0[oy]!;
      const wy1 = ys.w1[oy]!;
      const drow = dst + oy * outWidth;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = xs.i0[ox]!;
        const x1 = xs.i1[ox]!;
        const wx0 = xs.w0[ox]!;
        const wx1 = xs.w1[ox]!;
        const top = fma32(data[r0 + x0]!, wx0, f32(data[r0 + x1]! * wx1));
        const bottom = fma32(data[r1 + x0]!, wx0, f32(data[r1 + x1]! * wx1));
        out[drow + ox] = fma32(top, wy0, f32(bottom * wy1));
      }
    }
  }
  return { data: out, channels, height: outHeight, width: outWidth };
}
