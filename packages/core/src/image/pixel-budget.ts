import { ImageDecodeError } from './image-decode-error.js';

/**
 * Default pixel budget per image (64 Mpx: 192 MB as RGB), checked from the header before decoding (sharp's
 * `limitInputPixels`). COCO and ImageNet images are under 1 Mpx; a 249 KB PNG can declare 16000x16000 (256 Mpx,
 * under sharp's own limit) and take 1.7 GB to decode.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 2 ** 26;

/** The {@link ImageDecodeError} for a failed decode of `path`, saying so when the pixel budget refused it. */
export function imageDecodeError(path: string, err: unknown, maxPixels: number): ImageDecodeError {
  const tooLarge = /exceeds pixel limit/i.test((err as Error)?.message ?? '');
  return new ImageDecodeError(path, tooLarge ? new Error(`image larger than the pixel budget of ${maxPixels} pixels (maxImagePixels)`) : err);
}
