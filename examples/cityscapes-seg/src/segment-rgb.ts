import * as tf from '@tensorflow/tfjs';
import { normalizeRgb, type RgbImage } from '@hrnet/data-cityscapes';
import { scoresToLabels, segmentImage, type SegmentImageOptions } from '@hrnet/heads';

/** Train ids [H·W] of one decoded image: normalized as in training, then `segmentImage` (scales, flip, windows) and the argmax. */
export async function segmentRgb(model: tf.LayersModel, rgb: RgbImage, opts: SegmentImageOptions): Promise<Int32Array> {
  const ids = tf.tidy(() => scoresToLabels(segmentImage(model, tf.tensor4d(normalizeRgb(rgb), [1, rgb.height, rgb.width, 3]), opts)));
  const data = (await ids.data()) as Int32Array;
  ids.dispose();
  return data;
}
