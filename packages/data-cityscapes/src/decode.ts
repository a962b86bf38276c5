import sharp from 'sharp';
import { labelIdsToTrainIds } from './labels.js';

/** 8-bit HWC RGB. */
export interface RgbImage {
  data: Uint8Array;
  height: number;
  width: number;
}

/** One sample in memory: RGB pixels and train ids (255 = ignore) of the same size. */
export interface DecodedSample {
  image: RgbImage;
  /** Train ids [H·W]; absent for test images. */
  label?: Uint8Array;
  name: string;
}

/** Decodes an image file to RGB (grey expanded, alpha dropped). */
export async function readRgb(file: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), height: info.height, width: info.width };
  } catch (e) {
    throw new Error(`${file}: cannot decode image (${(e as Error).message})`);
  }
}

/** Reads a `*_gtFine_labelIds.png` (8-bit, one channel) as label ids. */
export async function readLabelIds(file: string): Promise<{ ids: Uint8Array; height: number; width: number }> {
  let out;
  try {
    const { channels } = await sharp(file).metadata();
    if (channels !== 1) throw new Error(`${file}: a label-id PNG must have one 8-bit channel, found ${channels} channels`);
    // extractChannel: sharp's raw output would otherwise expand grey to sRGB.
    out = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(file) ? msg : `${file}: cannot decode label PNG (${msg})`);
  }
  const { data, info } = out;
  return { ids: new Uint8Array(data.buffer, data.byteOffset, data.length), height: info.height, width: info.width };
}

/** Reads an image and its labels (mapped to train ids); a size mismatch or an unknown id is an error naming the file. */
export async function readSample(sample: { image: string; label?: string; name: string }): Promise<DecodedSample> {
  const image = await readRgb(sample.image);
  if (!sample.label) return { image, name: sample.name };
  const { ids, height, width } = await readLabelIds(sample.label);
  if (height !== image.height || width !== image.width) {
    throw new Error(`${sample.label}: label size ${width}x${height} differs from its image ${sample.image} (${image.width}x${image.height})`);
  }
  return { image, label: labelIdsToTrainIds(ids, sample.label), name: sample.name };
}
