import type { Rng } from '@hrnet/core';
import type { Box } from '../decode.js';
import { pyRound } from '../transforms.js';

/** How erased pixels are filled (timm `re_mode`): zeros, one normal value per channel, or a normal value per pixel. */
export type RandomErasingMode = 'const' | 'rand' | 'pixel';

/** timm's `RandomErasing` (config keys `re_prob`, `re_mode`, `re_count`; areas and aspect as timm's defaults). */
export interface RandomErasingOptions {
  /** Probability that an image is erased at all (`re_prob`). */
  prob: number;
  /** Default 'const' (timm's class default; timm's train script passes `re_mode`, default 'pixel'). */
  mode?: RandomErasingMode;
  /** Boxes per image: exactly `count` (timm `re_count` sets the max with min 1: a uniform count in [1, re_count]). */
  minCount?: number;
  maxCount?: number;
  /** Erased area fraction range. Default [0.02, 1/3]. */
  minArea?: number;
  maxArea?: number;
  /** Aspect ratio range (log-uniform). Default [0.3, 1/0.3]. */
  minAspect?: number;
  maxAspect?: number;
}

/**
 * The boxes timm's `RandomErasing._erase` draws for one `height`×`width` image (`random.random() > p` skips;
 * `count` boxes, each up to 10 tries of an area uniform in [minArea, maxArea]·area/count and a log-uniform
 * aspect, `h = round(sqrt(area·aspect))`, kept when strictly smaller than the image). Python's `round` is
 * half-to-even; the draws of `rng` take the place of Python's `random` module. Lazy, so that a caller filling
 * each box before the next is drawn consumes `rng` in timm's order.
 */
export function* randomErasingBoxes(height: number, width: number, opts: RandomErasingOptions, rng: Rng): Generator<Box> {
  const { prob, minArea = 0.02, maxArea = 1 / 3, minAspect = 0.3 } = opts;
  const maxAspect = opts.maxAspect ?? 1 / minAspect;
  const minCount = opts.minCount ?? 1;
  const maxCount = opts.maxCount ?? minCount;
  if (rng.next() > prob) return;
  const count = minCount === maxCount ? minCount : minCount + rng.int(maxCount - minCount + 1);
  const logLo = Math.log(minAspect);
  const logHi = Math.log(maxAspect);
  const area = height * width;
  for (let k = 0; k < count; k++) {
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = (rng.uniform(minArea, maxArea) * area) / count;
      const aspect = Math.exp(rng.uniform(logLo, logHi));
      const h = pyRound(Math.sqrt(target * aspect));
      const w = pyRound(Math.sqrt(target / aspect));
      if (w < width && h < height) {
        const top = rng.int(height - h + 1);
        const left = rng.int(width - w + 1);
        yield { left, top, width: w, height: h };
        break;
      }
    }
  }
}

/**
 * Fills `box` of a normalised HWC float32 image (`width` columns, `channels` per pixel, at `offset`) as timm's
 * `_get_pixels`: 0 ('const'), one `rng.normal()` per channel ('rand'), or one per value in C, H, W order ('pixel',
 * torch's `normal_()` on a [C, h, w] tensor).
 */
export function eraseBoxInPlace(img: Float32Array, width: number, channels: number, box: Box, mode: RandomErasingMode, rng: Rng, offset = 0): void {
  const perChannel = new Float32Array(channels);
  let perPixel: Float32Array | undefined;
  if (mode === 'rand') for (let c = 0; c < channels; c++) perChannel[c] = rng.normal();
  if (mode === 'pixel') {
    perPixel = new Float32Array(channels * box.height * box.width);
    for (let i = 0; i < perPixel.length; i++) perPixel[i] = rng.normal();
  }
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const d = offset + ((box.top + y) * width + box.left + x) * channels;
      for (let c = 0; c < channels; c++) {
        img[d + c] = perPixel ? perPixel[(c * box.height + y) * box.width + x] : perChannel[c];
      }
    }
  }
}

/** timm's `RandomErasing` on one normalised HWC float32 image (at `offset`), in place. */
export function randomErasingInPlace(img: Float32Array, height: number, width: number, opts: RandomErasingOptions, rng: Rng, offset = 0): void {
  const { prob, mode = 'const' } = opts;
  if (!(prob >= 0 && prob <= 1)) throw new Error(`randomErasing: prob must be in [0, 1], got ${prob}`);
  for (const box of randomErasingBoxes(height, width, opts, rng)) eraseBoxInPlace(img, width, 3, box, mode, rng, offset);
}
