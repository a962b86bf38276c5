import sharp from 'sharp';
import { ImageDecodeError, type RawImage } from '@hrnet/core';

/**
 * Decodes an image file (or encoded bytes) to 8-bit interleaved RGB with sharp, as
 * `cv2.imread(IMREAD_COLOR | IMREAD_IGNORE_ORIENTATION)` + BGR→RGB: greyscale expanded to three
 * channels, alpha dropped, EXIF orientation ignored. Truncated or corrupt files throw
 * {@link ImageDecodeError} (sharp's `failOn: 'warning'`).
 */
export async function decodeRgb(src: string | Uint8Array): Promise<RawImage> {
  const label = typeof src === 'string' ? src : '<buffer>';
  try {
    const { data, info } = await sharp(src as string | Buffer, { failOn: 'warning' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
  } catch (err) {
    throw new ImageDecodeError(label, err);
  }
}
