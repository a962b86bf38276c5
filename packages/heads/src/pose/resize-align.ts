/**
 * Test-time image preparation of HigherHRNet (`resize_align_multi_scale` in lib/utils/transforms.py,
 * then torchvision ToTensor + Normalize): an OpenCV-exact bilinear `warpAffine` of the 8-bit RGB image to
 * the network input size, then `(x / 255 - mean) / std` per channel, in float32.
 */
import { getAffineTransform, invertAffine, type Affine2x3, type Point2 } from './affine-transform.js';
import { getMultiScaleSize } from './multi-scale-size.js';

/** An 8-bit image, row-major HWC, RGB (3 channels) or RGBA (4, alpha ignored), e.g. an `ImageData`. */
export interface RgbImage {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/** A dense 8-bit HWC image. */
export interface U8Image {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS; // 32 sub-pixel steps
const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2;
const COEF_BITS = 15; // weights in 1/32768; the bilinear ones are exact multiples of 32

/** `cvRound` / `saturate_cast<int>(double)`: round half to even. */
function cvRound(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * `cv2.warpAffine(src, M, (dstW, dstH))` with INTER_LINEAR and BORDER_CONSTANT 0, for 8-bit images.
 * `m` is the forward map (source → destination), inverted as OpenCV does. Reproduces OpenCV's fixed-point
 * arithmetic: source coordinates in 1/1024 px truncated to 1/32 px steps, integer bilinear weights that
 * sum to 2^15, rounding half up; neighbours outside the source count as 0.
 */
export function warpAffineBilinear(src: U8Image, m: Affine2x3, dstW: number, dstH: number): U8Image {
  const { width: sw, height: sh, channels: cn, data: s } = src;
  if (s.length !== sw * sh * cn) throw new Error(`warpAffineBilinear: data has ${s.length} values, expected ${sw * sh * cn}`);
  const inv = invertAffine(m);
  const out = new Uint8Array(dstW * dstH * cn);
  const adelta = new Int32Array(dstW);
  const bdelta = new Int32Array(dstW);
  for (let x = 0; x < dstW; x++) {
    adelta[x] = cvRound(inv[0] * x * AB_SCALE);
    bdelta[x] = cvRound(inv[3] * x * AB_SCALE);
  }
  const rowStride = sw * cn;
  const half = 1 << (COEF_BITS - 1);
  for (let y = 0; y < dstH; y++) {
    const x0 = cvRound((inv[1] * y + inv[2]) * AB_SCALE) + ROUND_DELTA;
    const y0 = cvRound((inv[4] * y + inv[5]) * AB_SCALE) + ROUND_DELTA;
    for (let x = 0; x < dstW; x++) {
      const X = (x0 + adelta[x]!) >> (AB_BITS - INTER_BITS);
      const Y = (y0 + bdelta[x]!) >> (AB_BITS - INTER_BITS);
      const sx = X >> INTER_BITS;
      const sy = Y >> INTER_BITS;
      const o = (y * dstW + x) * cn;
      if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) continue; // all four neighbours outside: 0
      const fx = X & (INTER_TAB_SIZE - 1);
      const fy = Y & (INTER_TAB_SIZE - 1);
      const w00 = (INTER_TAB_SIZE - fy) * (INTER_TAB_SIZE - fx) * 32;
      const w01 = (INTER_TAB_SIZE - fy) * fx * 32;
      const w10 = fy * (INTER_TAB_SIZE - fx) * 32;
      const w11 = fy * fx * 32;
      const in0 = sy >= 0 && sy < sh;
      const in1 = sy + 1 >= 0 && sy + 1 < sh;
      const inL = sx >= 0 && sx < sw;
      const inR = sx + 1 >= 0 && sx + 1 < sw;
      const p00 = sy * rowStride + sx * cn;
      for (let k = 0; k < cn; k++) {
        const v00 = in0 && inL ? s[p00 + k]! : 0;
        const v01 = in0 && inR ? s[p00 + cn + k]! : 0;
        const v10 = in1 && inL ? s[p00 + rowStride + k]! : 0;
        const v11 = in1 && inR ? s[p00 + rowStride + cn + k]! : 0;
        const v = (v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11 + half) >> COEF_BITS;
        out[o + k] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { data: out, width: dstW, height: dstH, channels: cn };
}

/** Copies an RGB or RGBA image into a dense 3-channel `Uint8Array` (values rounded and clamped to 0..255). */
export function toRgbU8(image: RgbImage): U8Image {
  const { width, height, data } = image;
  const n = width * height;
  if (!(n > 0)) throw new Error(`toRgbU8: bad image size ${width}x${height}`);
  const cn = data.length / n;
  if (cn !== 3 && cn !== 4) throw new Error(`toRgbU8: expected ${n * 3} (RGB) or ${n * 4} (RGBA) values, got ${data.length}`);
  if (cn === 3 && data instanceof Uint8Array) return { data, width, height, channels: 3 };
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const v = Math.round(Number(data[i * cn + k]));
      out[i * 3 + k] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { data: out, width, height, channels: 3 };
}

export interface ResizeAlignResult {
  /** The warped 8-bit RGB image at the network input size of this scale. */
  image: U8Image;
  center: Point2;
  scale: Point2;
}

/**
 * `resize_align_multi_scale(image, input_size, current_scale, min_scale)`: warps the image so that its
 * shorter side becomes `inputSize * currentScale` (and the longer side a multiple of 64), content centred.
 */
export function resizeAlignMultiScale(image: RgbImage, inputSize: number, currentScale: number, minScale: number): ResizeAlignResult {
  const rgb = toRgbU8(image);
  const { size, center, scale } = getMultiScaleSize(rgb.width, rgb.height, inputSize, currentScale, minScale);
  const trans = getAffineTransform(center, scale, 0, size);
  return { image: warpAffineBilinear(rgb, trans, size[0], size[1]), center, scale };
}

export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/**
 * torchvision `ToTensor()` + `Normalize(mean, std)` in float32, keeping HWC order:
 * `(x / 255 - mean_c) / std_c`, each operation rounded to float32 as PyTorch does.
 */
export function normalizeImage(
  image: U8Image,
  mean: readonly number[] = IMAGENET_MEAN,
  std: readonly number[] = IMAGENET_STD,
): Float32Array {
  const { data, channels: cn } = image;
  if (mean.length !== cn || std.length !== cn) throw new Error(`normalizeImage: need ${cn} mean/std values`);
  const f = Math.fround;
  const m = mean.map(f);
  const sd = std.map(f);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const k = i % cn;
    out[i] = f(f(data[i]! / 255) - m[k]!) / sd[k]!;
  }
  return out;
}
