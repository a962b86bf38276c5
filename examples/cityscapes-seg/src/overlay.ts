import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { CITYSCAPES_PALETTE, IGNORE_LABEL, LABEL_ID_OF_TRAIN_ID, type RgbImage } from '@hrnet/data-cityscapes';

/**
 * The colour-coded mask (Cityscapes palette by train id) blended over the image: out = (1 − α)·image + α·colour;
 * ignored pixels (255) keep the image.
 */
export function blendMask(image: RgbImage, trainIds: ArrayLike<number>, alpha = 0.5): Uint8Array {
  const n = image.height * image.width;
  if (trainIds.length !== n) throw new Error(`blendMask: ${trainIds.length} labels for a ${image.width}x${image.height} image`);
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const t = trainIds[i];
    const colour = t === IGNORE_LABEL ? undefined : CITYSCAPES_PALETTE[t];
    for (let c = 0; c < 3; c++) {
      const v = image.data[i * 3 + c];
      out[i * 3 + c] = colour ? Math.round((1 - alpha) * v + alpha * colour[c]) : v;
    }
  }
  return out;
}

/** Writes the blended overlay (RGB PNG) and the prediction as Cityscapes label ids (8-bit PNG, the benchmark's submission format). */
export async function writePrediction(image: RgbImage, trainIds: ArrayLike<number>, files: { overlay: string; labelIds: string }, alpha = 0.5): Promise<void> {
  const { width, height } = image;
  await mkdir(dirname(files.overlay), { recursive: true });
  await mkdir(dirname(files.labelIds), { recursive: true });
  await sharp(blendMask(image, trainIds, alpha), { raw: { width, height, channels: 3 } }).png().toFile(files.overlay);
  const ids = Uint8Array.from(trainIds, (t) => (t === IGNORE_LABEL ? 0 : LABEL_ID_OF_TRAIN_ID[t]));
  await sharp(ids, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(files.labelIds);
}
