import sharp, { type KernelEnum, type Sharp } from 'sharp';
import { cmykToRgb, DEFAULT_MAX_IMAGE_PIXELS, ImageDecodeError, imageDecodeError } from '@hrnet/core';

/** An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A pixel rectangle; `left`/`top` are the first column/row included. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Resampling filter of a resize (torchvision `InterpolationMode` names). */
export type Interpolation = 'nearest' | 'bilinear' | 'bicubic';

const KERNELS: Record<Interpolation, keyof KernelEnum> = {
  nearest: 'nearest',
  bilinear: 'linear',
  bicubic: 'cubic',
};

/** What {@link decodeImage} does after decoding, in this order: `cropFirst`, resize, then crop. */
export interface DecodeOps {
  /** Crop of the original image before resizing (RandomResizedCrop); must lie inside it. */
  cropFirst?: Box;
  /** Resize to exactly this size (aspect ratio is the caller's business). */
  resize?: { width: number; height: number; interpolation?: Interpolation };
  /** Crop of the (resized) image; must lie inside it. */
  crop?: Box;
  /** Pixel budget (width x height), checked from the header before decoding. Default @hrnet/core's `DEFAULT_MAX_IMAGE_PIXELS` (64 Mpx). */
  maxPixels?: number;
}

/** A file path or encoded bytes (JPEG, PNG, or anything else sharp reads). */
export type ImageSource = string | Uint8Array;

const describe = (src: ImageSource): string => (typeof src === 'string' ? src : '<buffer>');
// sharp's default failOn 'warning' rejects truncated files, as PIL does without LOAD_TRUNCATED_IMAGES.
const open = (src: ImageSource, maxPixels = DEFAULT_MAX_IMAGE_PIXELS) => sharp(src as string | Buffer, { limitInputPixels: maxPixels });

/** `src` as 8-bit sRGB; a CMYK JPEG converted as PIL does ({@link cmykToRgb}), not through libvips' CMYK profile. */
async function openRgb(src: ImageSource, maxPixels?: number): Promise<Sharp> {
  const img = open(src, maxPixels).removeAlpha();
  if ((await img.metadata()).space !== 'cmyk') return img.toColourspace('srgb');
  const { data, info } = await img.pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
  return sharp(cmykToRgb(data), { raw: { width: info.width, height: info.height, channels: 3 } });
}

/** Width and height from the header, without decoding the pixels. */
export async function readImageSize(src: ImageSource): Promise<{ width: number; height: number }> {
  try {
    const { width, height } = await open(src).metadata();
    if (!width || !height) throw new Error('image has no size');
    return { width, height };
  } catch (err) {
    throw new ImageDecodeError(describe(src), err);
  }
}

/**
 * Decodes to 8-bit RGB with sharp (libvips), optionally resizing and cropping in the same pipeline
 * (JPEG shrink-on-load makes big images cheap). Greyscale is expanded and alpha dropped, as PIL's
 * `convert('RGB')` (CMYK JPEGs too, see {@link cmykToRgb}). EXIF orientation is ignored, as torchvision's loader does. Throws
 * {@link ImageDecodeError} naming the file for unreadable, truncated or corrupt images.
 */
export async function decodeImage(src: ImageSource, ops: DecodeOps = {}): Promise<RgbImage> {
  try {
    let pipeline = await openRgb(src, ops.maxPixels);
    if (ops.cropFirst) pipeline = pipeline.extract(ops.cropFirst);
    if (ops.resize) {
      const { width, height, interpolation = 'bilinear' } = ops.resize;
      pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: KERNELS[interpolation] });
    }
    if (ops.crop) pipeline = pipeline.extract(ops.crop);
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    throw imageDecodeError(describe(src), err, ops.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS);
  }
}
