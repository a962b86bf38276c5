/**
 * Test-time image preparation of HigherHRNet (`resize_align_multi_scale` in lib/utils/transforms.py,
 * then torchvision ToTensor + Normalize): an OpenCV-exact bilinear `warpAffine` of the 8-bit RGB image to
 * the network input size, then `(x / 255 - mean) / std` per channel, in float32.
 */
import { warpAffine, type RawImage } from '@hrnet/core';
import { getAffineTransform, type Affine2x3, type Point2 } from '@hrnet/core';
import { getMultiScaleSize } from './multi-scale-size.js';

/** An 8-bit image, row-major HWC, RGB (3 channels) or RGBA (4, alpha ignored), e.g. an `ImageData`. */
export interface RgbImage {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/**
 * `cv2.warpAffine(src, M, (dstW, dstH))` with INTER_LINEAR and BORDER_CONSTANT 0, for 8-bit images:
 * @hrnet/core's OpenCV-exact `warpAffine` (fixed-point, bit-identical to OpenCV), returned with its size.
 * `m` is the forward map (source → destination).
 */
export function warpAffineBilinear(src: RawImage, m: Affine2x3, dstW: number, dstH: number): RawImage {
  return { data: warpAffine(src, m, dstW, dstH), width: dstW, height: dstH, channels: src.channels };
}

/** Copies an RGB or RGBA image into a dense 3-channel `Uint8Array` (values rounded and clamped to 0..255). */
export function toRgbU8(image: RgbImage): RawImage {
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
  image: RawImage;
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
