import sharp from 'sharp';
import { cmykToRgb, DEFAULT_MAX_IMAGE_PIXELS, imageDecodeError, type RawImage } from '@hrnet/core';

export { DEFAULT_MAX_IMAGE_PIXELS };

/**
 * Decodes an image file (or encoded bytes) to 8-bit interleaved RGB with sharp, as
 * `cv2.imread(IMREAD_COLOR | IMREAD_IGNORE_ORIENTATION)` + BGR→RGB: greyscale expanded to three
 * channels, alpha dropped, EXIF orientation ignored, CMYK converted as OpenCV does ({@link cmykToRgb}). Truncated or corrupt files throw
 * {@link ImageDecodeError} (sharp's `failOn: 'warning'`), and so do images over `maxPixels` (width x height,
 * read from the header before decoding; default {@link DEFAULT_MAX_IMAGE_PIXELS}).
 */
export async function decodeRgb(src: string | Uint8Array, { maxPixels = DEFAULT_MAX_IMAGE_PIXELS }: { maxPixels?: number } = {}): Promise<RawImage> {
  const label = typeof src === 'string' ? src : '<buffer>';
  try {
    const img = sharp(src as string | Buffer, { failOn: 'warning', limitInputPixels: maxPixels }).removeAlpha();
    if ((await img.metadata()).space === 'cmyk') {
      // As OpenCV (and PIL) convert CMYK, ignoring any ICC profile (within 1/255 of cv2, see cmykToRgb), not libvips' profile transform.
      const { data, info } = await img.pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
      return { data: cmykToRgb(data), width: info.width, height: info.height, channels: 3 };
    }
    const { data, info } = await img.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
  } catch (err) {
    throw imageDecodeError(label, err, maxPixels);
  }
}
