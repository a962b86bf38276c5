/**
 * Test-time image preparation of HigherHRNet (`resize_align_multi_scale` in lib/utils/transforms.py,
 * then torchvision ToTensor + Normalize): an OpenCV-exact bilinear `warpAffine` of the 8-bit RGB image to
 * the network input size, then `(x / 255 - mean) / std` per channel, in float32.
 */
import { getAffineTransform, warpAffine, type Affine2x3, type Point2, type RawImage } from '@hrnet/core';
import { getMultiScaleSize } from './multi-scale-size.js';
import { toRgbU8, type RgbImage } from '../pose-common/rgb-image.js';

/**
 * `cv2.warpAffine(src, M, (dstW, dstH))` with INTER_LINEAR and BORDER_CONSTANT 0, for 8-bit images:
 * @hrnet/core's OpenCV-exact `warpAffine` (fixed-point, bit-identical to OpenCV), returned with its size.
 * `m` is the forward map (source → destination).
 */
export function warpAffineBilinear(src: RawImage, m: Affine2x3, dstW: number, dstH: number): RawImage {
  return { data: warpAffine(src, m, dstW, dstH), width: dstW, height: dstH, channels: src.channels };
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
