import * as tf from '@tensorflow/tfjs';
import type { RawImage } from '@hrnet/core';

/** An 8-bit image, row-major HWC, RGB (3 channels) or RGBA (4, alpha ignored), e.g. an `ImageData`. */
export interface RgbImage {
  data: ArrayLike<number>;
  width: number;
  height: number;
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

/** An image given as an `[H, W, 3|4]` tensor of 0..255 (or already as pixels) as {@link RgbImage}; `caller` names the API in errors. */
export async function rgbImageOf(image: RgbImage | tf.Tensor3D, caller: string): Promise<RgbImage> {
  if (!(image instanceof tf.Tensor)) return image;
  if (image.rank !== 3) throw new Error(`${caller}: expected an image tensor [H, W, 3|4], got [${image.shape.join(', ')}]`);
  const [height, width] = image.shape;
  return { data: await image.data(), width, height };
}
