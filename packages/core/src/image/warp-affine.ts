/**
 * `cv2.warpAffine(src, M, (dstWidth, dstHeight))` with its defaults (INTER_LINEAR, BORDER_CONSTANT 0) for
 * 8-bit images with any number of interleaved channels, reimplemented in plain TypeScript.
 *
 * OpenCV inverts M, then walks the destination grid in fixed point: source coordinates with 10
 * fractional bits per row/column term (rounded half to even), truncated to 1/32 pixel, and the
 * bilinear weights of that 1/32 grid scaled to 2^15 and rounded back with +2^14 >> 15. Corners
 * that fall outside the source read the border value 0. Doing the same integer arithmetic gives
 * the same bytes (the HigherHRNet fixtures agree exactly: @hrnet/data-coco's training warps and
 * @hrnet/heads' test-time resize).
 */

const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
const ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2;
const COEF_BITS = 15;

/** Round half to even, as OpenCV's cvRound / saturate_cast<int>(double). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Inverse of a 2x3 affine matrix, computed the way cv2.warpAffine does (0 matrix if singular). */
export function invertAffine(m: ArrayLike<number>): Float64Array {
  let d = m[0] * m[4] - m[1] * m[3];
  d = d !== 0 ? 1 / d : 0;
  const a0 = m[4] * d;
  const a1 = m[1] * -d;
  const a3 = m[3] * -d;
  const a4 = m[0] * d;
  const b1 = -a0 * m[2] - a1 * m[5];
  const b2 = -a3 * m[2] - a4 * m[5];
  return Float64Array.from([a0, a1, b1, a3, a4, b2]);
}

/** A dense 8-bit image: row-major, interleaved channels (HWC). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * Warps `src` (row-major, interleaved channels) with the forward 2x3 matrix `m` (source → destination
 * pixels) into a `dstWidth` x `dstHeight` image, bilinear, border 0. `out` may be passed to reuse a buffer.
 */
export function warpAffine(
  src: RawImage,
  m: ArrayLike<number>,
  dstWidth: number,
  dstHeight: number = dstWidth,
  out?: Uint8Array,
): Uint8Array {
  const { data, width: sw, height: sh, channels: cn } = src;
  if (data.length < sw * sh * cn) throw new Error(`warpAffine: buffer holds ${data.length} bytes, ${sw}x${sh}x${cn} needs ${sw * sh * cn}`);
  const dst = out ?? new Uint8Array(dstWidth * dstHeight * cn);
  if (dst.length < dstWidth * dstHeight * cn) throw new Error('warpAffine: output buffer too small');
  const inv = invertAffine(m);
  const adelta = new Int32Array(dstWidth);
  const bdelta = new Int32Array(dstWidth);
  for (let x = 0; x < dstWidth; x++) {
    adelta[x] = roundHalfEven(inv[0] * x * AB_SCALE);
    bdelta[x] = roundHalfEven(inv[3] * x * AB_SCALE);
  }
  const rowStride = sw * cn;
  const sw1 = sw - 1;
  const sh1 = sh - 1;
  const HALF = 1 << (COEF_BITS - 1);
  let o = 0;
  for (let y = 0; y < dstHeight; y++) {
    const x0 = roundHalfEven((inv[1] * y + inv[2]) * AB_SCALE) + ROUND_DELTA;
    const y0 = roundHalfEven((inv[4] * y + inv[5]) * AB_SCALE) + ROUND_DELTA;
    for (let x = 0; x < dstWidth; x++, o += cn) {
      const X = (x0 + adelta[x]) >> (AB_BITS - INTER_BITS);
      const Y = (y0 + bdelta[x]) >> (AB_BITS - INTER_BITS);
      const sx = X >> INTER_BITS;
      const sy = Y >> INTER_BITS;
      const fx = X & (INTER_TAB_SIZE - 1);
      const fy = Y & (INTER_TAB_SIZE - 1);
      // Weights of the 1/32 grid in units of 2^-15: exact integers, summing to 32768.
      const w00 = (INTER_TAB_SIZE - fy) * (INTER_TAB_SIZE - fx) * 32;
      const w01 = (INTER_TAB_SIZE - fy) * fx * 32;
      const w10 = fy * (INTER_TAB_SIZE - fx) * 32;
      const w11 = fy * fx * 32;
      if (sx >= 0 && sy >= 0 && sx < sw1 && sy < sh1) {
        // All four neighbours inside: the common case. Weighted sums are < 2^24, so `>>` is exact.
        const p00 = sy * rowStride + sx * cn;
        const p10 = p00 + rowStride;
        if (cn === 3) {
          dst[o] = (data[p00] * w00 + data[p00 + 3] * w01 + data[p10] * w10 + data[p10 + 3] * w11 + HALF) >> COEF_BITS;
          dst[o + 1] = (data[p00 + 1] * w00 + data[p00 + 4] * w01 + data[p10 + 1] * w10 + data[p10 + 4] * w11 + HALF) >> COEF_BITS;
          dst[o + 2] = (data[p00 + 2] * w00 + data[p00 + 5] * w01 + data[p10 + 2] * w10 + data[p10 + 5] * w11 + HALF) >> COEF_BITS;
        } else {
          for (let c = 0; c < cn; c++) {
            dst[o + c] = (data[p00 + c] * w00 + data[p00 + cn + c] * w01 + data[p10 + c] * w10 + data[p10 + cn + c] * w11 + HALF) >> COEF_BITS;
          }
        }
        continue;
      }
      if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) {
        for (let c = 0; c < cn; c++) dst[o + c] = 0;
        continue;
      }
      // On the border: neighbours outside the source read 0.
      const in0 = sy >= 0;
      const in1 = sy + 1 < sh;
      const inL = sx >= 0;
      const inR = sx + 1 < sw;
      const p00 = sy * rowStride + sx * cn;
      const p10 = p00 + rowStride;
      for (let c = 0; c < cn; c++) {
        const v00 = in0 && inL ? data[p00 + c] : 0;
        const v01 = in0 && inR ? data[p00 + cn + c] : 0;
        const v10 = in1 && inL ? data[p10 + c] : 0;
        const v11 = in1 && inR ? data[p10 + cn + c] : 0;
        dst[o + c] = (v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11 + HALF) >> COEF_BITS;
      }
    }
  }
  return dst;
}
