import { IMAGENET_MEAN, IMAGENET_STD, type Rng } from '@hrnet/core';
import { decodeImage, readImageSize, type Box, type ImageSource, type Interpolation, type RgbImage } from './decode.js';
import { randomErasingInPlace, type RandomErasingOptions } from './augment/random-erasing.js';
import { parseRandAugment, randAugment } from './augment/rand-augment.js';

/** timm's default eval `crop_pct`. */
export const DEFAULT_CROP_PCT = 0.875;

/** Turns an image file into a normalised NHWC-ready float32 tensor body of `outputShape`. */
export interface ImageTransform {
  /** [height, width, 3] of every output. */
  readonly outputShape: readonly [number, number, 3];
  /** Decodes and transforms one image; `rng` drives any randomness (pass a per-sample seeded one). */
  apply(src: ImageSource, rng: Rng): Promise<Float32Array>;
}

export interface NormalizeOptions {
  mean?: readonly number[];
  std?: readonly number[];
}

export interface EvalTransformOptions extends NormalizeOptions {
  /** Output side (square crop). */
  size: number;
  /** The shorter side is resized to `floor(size / cropPct)` before the center crop. Default 0.875. */
  cropPct?: number;
  /** Default 'bicubic' (timm's eval default). */
  interpolation?: Interpolation;
}

export interface TrainTransformOptions extends NormalizeOptions {
  /** Output side (square crop). */
  size: number;
  /** Shorter side after resizing, before the random crop. Default `floor(size / 0.875)`. */
  scaleSize?: number;
  /** Probability of a horizontal flip. Default 0.5. */
  hflip?: number;
  /** Default 'bilinear'. */
  interpolation?: Interpolation;
}

/** Python's `round()` (half to even), which torchvision's crop arithmetic uses. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Size after resizing the shorter side to `size`, keeping the aspect ratio: torchvision's `Resize(int)`
 * (the longer side is truncated, not rounded).
 */
export function resizeShorterSide(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** torchvision's `CenterCrop` box; throws if the crop is larger than the image. */
export function centerCropBox(width: number, height: number, cropWidth: number, cropHeight: number): Box {
  if (cropWidth > width || cropHeight > height) {
    throw new Error(`center crop ${cropWidth}x${cropHeight} is larger than the image ${width}x${height}`);
  }
  return { left: pyRound((width - cropWidth) / 2), top: pyRound((height - cropHeight) / 2), width: cropWidth, height: cropHeight };
}

/** A uniformly placed crop box (torchvision's `RandomCrop` without padding). */
export function randomCropBox(width: number, height: number, cropWidth: number, cropHeight: number, rng: Rng): Box {
  if (cropWidth > width || cropHeight > height) {
    throw new Error(`random crop ${cropWidth}x${cropHeight} is larger than the image ${width}x${height}`);
  }
  return { left: rng.int(width - cropWidth + 1), top: rng.int(height - cropHeight + 1), width: cropWidth, height: cropHeight };
}

/**
 * `(pixel / 255 - mean) / std` per channel into `out` (HWC float32, at `offset`), mirroring columns
 * when `flip` is set. Returns `out`.
 */
export function normalizeInto(
  img: RgbImage,
  out: Float32Array,
  offset = 0,
  { mean = IMAGENET_MEAN, std = IMAGENET_STD, flip = false }: NormalizeOptions & { flip?: boolean } = {},
): Float32Array {
  const { data, width, height } = img;
  if (out.length < offset + width * height * 3) throw new Error('normalizeInto: output buffer too small');
  const scale = [1 / (255 * std[0]), 1 / (255 * std[1]), 1 / (255 * std[2])];
  const shift = [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]];
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const s = (row + x) * 3;
      const d = offset + (row + (flip ? width - 1 - x : x)) * 3;
      out[d] = data[s] * scale[0] + shift[0];
      out[d + 1] = data[s + 1] * scale[1] + shift[1];
      out[d + 2] = data[s + 2] * scale[2] + shift[2];
    }
  }
  return out;
}

function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${value}`);
}

/**
 * timm's eval transform: resize the shorter side to `floor(size / cropPct)`, center crop `size`,
 * normalize. Deterministic (the rng is unused).
 */
export function evalTransform(opts: EvalTransformOptions): ImageTransform & { spec: TransformSpec } {
  const { size, cropPct = DEFAULT_CROP_PCT, interpolation = 'bicubic' } = opts;
  checkSize('evalTransform size', size);
  if (!(cropPct > 0 && cropPct <= 1)) throw new Error(`evalTransform cropPct must be in (0, 1], got ${cropPct}`);
  const scaleSize = Math.floor(size / cropPct);
  return {
    outputShape: [size, size, 3],
    spec: { kind: 'eval', options: { ...opts } },
    async apply(src) {
      const resized = resizeShorterSide(...sizeOf(await readImageSize(src)), scaleSize);
      const crop = centerCropBox(resized.width, resized.height, size, size);
      const img = await decodeImage(src, { resize: { ...resized, interpolation }, crop });
      return normalizeInto(img, new Float32Array(size * size * 3), 0, opts);
    },
  };
}

/**
 * A simple train augmentation: resize the shorter side to `scaleSize`, crop `size` at a random
 * position, flip horizontally with probability `hflip`, normalize. All randomness comes from `rng`.
 */
export function trainTransform(opts: TrainTransformOptions): ImageTransform & { spec: TransformSpec } {
  const { size, scaleSize = Math.floor(size / DEFAULT_CROP_PCT), hflip = 0.5, interpolation = 'bilinear' } = opts;
  checkSize('trainTransform size', size);
  checkSize('trainTransform scaleSize', scaleSize);
  if (scaleSize < size) throw new Error(`trainTransform scaleSize (${scaleSize}) must be >= size (${size})`);
  return {
    outputShape: [size, size, 3],
    spec: { kind: 'train', options: { ...opts } },
    async apply(src, rng) {
      const resized = resizeShorterSide(...sizeOf(await readImageSize(src)), scaleSize);
      const crop = randomCropBox(resized.width, resized.height, size, size, rng);
      const flip = rng.next() < hflip;
      const img = await decodeImage(src, { resize: { ...resized, interpolation }, crop });
      return normalizeInto(img, new Float32Array(size * size * 3), 0, { ...opts, flip });
    },
  };
}

const sizeOf = (s: { width: number; height: number }): [number, number] => [s.width, s.height];

/**
 * torchvision's `RandomResizedCrop.get_params`: up to 10 tries of an area fraction uniform in `scale`
 * and a log-uniform aspect ratio in `ratio` (`w = round(sqrt(area·r))`, `h = round(sqrt(area/r))`,
 * position uniform); if none fits, the whole image center-cropped to the nearest allowed ratio.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  scale: readonly [number, number] = [0.08, 1],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
): Box {
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = pyRound(Math.sqrt(targetArea * aspect));
    const h = pyRound(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { left, top, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(ratio[0], ratio[1])) h = pyRound(w / Math.min(ratio[0], ratio[1]));
  else if (inRatio > Math.max(ratio[0], ratio[1])) w = pyRound(h * Math.max(ratio[0], ratio[1]));
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}

/** torchvision `ColorJitter` strengths: factors uniform in [max(0, 1 - x), 1 + x]; hue shift in [-hue, hue] (≤ 0.5). */
export interface ColorJitterOptions {
  brightness?: number;
  contrast?: number;
  saturation?: number;
  hue?: number;
}

const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;
const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = ((g - b) / d) % 6;
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
    h /= 6;
    if (h < 0) h += 1;
  }
  return [h, max === 0 ? 0 : d / max, max];
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  switch (((i % 6) + 6) % 6) {
    case 0: return [v, t, p];
    case 1: return [q, v, p];
    case 2: return [p, v, t];
    case 3: return [p, q, v];
    case 4: return [t, p, v];
    default: return [v, p, q];
  }
}

/**
 * torchvision `ColorJitter` on an 8-bit RGB image, in place: the four adjustments in a random order, each
 * with a random factor — brightness scales, contrast blends with the mean grey level, saturation blends
 * with each pixel's grey (ITU-R 601 luma), hue rotates in HSV. Values are clamped to [0, 255] after each
 * step and rounded once at the end (torchvision's PIL path rounds after every step; differences are ≤ 1
 * grey level per step).
 */
export function colorJitterInPlace(img: RgbImage, opts: ColorJitterOptions, rng: Rng): void {
  const { brightness = 0, contrast = 0, saturation = 0, hue = 0 } = opts;
  if (!(hue >= 0 && hue <= 0.5)) throw new Error(`colorJitter: hue must be in [0, 0.5], got ${hue}`);
  const factor = (x: number) => rng.uniform(Math.max(0, 1 - x), 1 + x);
  const order = [0, 1, 2, 3];
  for (let i = 3; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  // Factors are drawn in torchvision's order (b, c, s, h), whatever the application order.
  const fb = brightness > 0 ? factor(brightness) : 1;
  const fc = contrast > 0 ? factor(contrast) : 1;
  const fs = saturation > 0 ? factor(saturation) : 1;
  const fh = hue > 0 ? rng.uniform(-hue, hue) : 0;
  const { data } = img;
  const n = data.length / 3;
  const px = Float32Array.from(data);
  for (const op of order) {
    if (op === 0 && fb !== 1) {
      for (let i = 0; i < px.length; i++) px[i] = clamp255(px[i] * fb);
    } else if (op === 1 && fc !== 1) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += luma(px[3 * i], px[3 * i + 1], px[3 * i + 2]);
      const mean = sum / n;
      for (let i = 0; i < px.length; i++) px[i] = clamp255(fc * px[i] + (1 - fc) * mean);
    } else if (op === 2 && fs !== 1) {
      for (let i = 0; i < n; i++) {
        const g = luma(px[3 * i], px[3 * i + 1], px[3 * i + 2]);
        for (let c = 0; c < 3; c++) px[3 * i + c] = clamp255(fs * px[3 * i + c] + (1 - fs) * g);
      }
    } else if (op === 3 && fh !== 0) {
      for (let i = 0; i < n; i++) {
        const [h, s, v] = rgbToHsv(px[3 * i] / 255, px[3 * i + 1] / 255, px[3 * i + 2] / 255);
        const [r, g, b] = hsvToRgb((((h + fh) % 1) + 1) % 1, s, v);
        px[3 * i] = r * 255;
        px[3 * i + 1] = g * 255;
        px[3 * i + 2] = b * 255;
      }
    }
  }
  for (let i = 0; i < px.length; i++) data[i] = Math.round(px[i]);
}

export interface RandomResizedCropOptions extends NormalizeOptions {
  /** Output side (square). */
  size: number;
  /** Area fraction range. Default [0.08, 1]. */
  scale?: readonly [number, number];
  /** Aspect ratio range. Default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  /** Probability of a horizontal flip. Default 0.5. */
  hflip?: number;
  /** Default 'bilinear' (timm / MindCV `interpolation`). */
  interpolation?: Interpolation;
  /** Optional color jitter after the crop. */
  colorJitter?: ColorJitterOptions;
  /**
   * Optional RandAugment policy string (timm `auto_augment` `rand-m9-mstd0.5-inc1`, MindCV `randaug-m7-mstd0.5-inc1`),
   * after the crop (and colour jitter), before normalising; geometric ops resample with `interpolation` (nearest or
   * bilinear) and fill with the mean colour, as timm's `img_mean`. The flip is applied afterwards (timm flips
   * before): the op signs are random, so the distribution is the same.
   */
  autoAugment?: string;
  /** Optional random erasing on the normalised image, last (timm `re_prob` / `re_mode` / `re_count`). */
  randomErasing?: RandomErasingOptions;
}

/**
 * The ImageNet train transform of timm / torchvision / MindCV: RandomResizedCrop (see
 * {@link randomResizedCropBox}) to `size`×`size`, horizontal flip with probability `hflip`, optional
 * color jitter, normalize, optional random erasing. sharp extracts the crop and resizes it in one pipeline. All
 * randomness comes from `rng` (crop, then flip, then jitter, then erasing).
 */
export function randomResizedCropTransform(opts: RandomResizedCropOptions): ImageTransform & { spec: TransformSpec } {
  const { size, scale = [0.08, 1], ratio = [3 / 4, 4 / 3], hflip = 0.5, interpolation = 'bilinear', colorJitter, randomErasing, autoAugment } = opts;
  checkSize('randomResizedCropTransform size', size);
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) throw new Error(`randomResizedCropTransform: bad scale [${scale.join(', ')}]`);
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1])) throw new Error(`randomResizedCropTransform: bad ratio [${ratio.join(', ')}]`);
  const policy = autoAugment ? parseRandAugment(autoAugment) : undefined;
  if (policy && interpolation === 'bicubic') throw new Error("randomResizedCropTransform: RandAugment's geometric ops resample with 'nearest' or 'bilinear', not 'bicubic'");
  const fill = (opts.mean ?? IMAGENET_MEAN).map((m) => Math.min(255, pyRound(255 * m)));
  return {
    outputShape: [size, size, 3],
    spec: { kind: 'rrc', options: { ...opts } },
    async apply(src, rng) {
      const { width, height } = await readImageSize(src);
      const box = randomResizedCropBox(width, height, rng, scale, ratio);
      const flip = rng.next() < hflip;
      const img = await decodeImage(src, { cropFirst: box, resize: { width: size, height: size, interpolation } });
      if (colorJitter) colorJitterInPlace(img, colorJitter, rng);
      const augmented = policy ? randAugment(img, policy, rng, { interpolation: interpolation as 'nearest' | 'bilinear', fill }) : img;
      const out = normalizeInto(augmented, new Float32Array(size * size * 3), 0, { ...opts, flip });
      if (randomErasing) randomErasingInPlace(out, size, size, randomErasing, rng);
      return out;
    },
  };
}

/**
 * A serialisable description of a built-in transform, so worker threads can rebuild it
 * ({@link transformFromSpec}). Every built-in transform carries one as `spec`.
 */
export type TransformSpec =
  | { kind: 'eval'; options: EvalTransformOptions }
  | { kind: 'train'; options: TrainTransformOptions }
  | { kind: 'rrc'; options: RandomResizedCropOptions };

/** Rebuilds a built-in transform from its {@link TransformSpec}. */
export function transformFromSpec(spec: TransformSpec): ImageTransform & { spec: TransformSpec } {
  switch (spec.kind) {
    case 'eval':
      return evalTransform(spec.options);
    case 'train':
      return trainTransform(spec.options);
    case 'rrc':
      return randomResizedCropTransform(spec.options);
    default:
      throw new Error(`transformFromSpec: unknown kind '${(spec as { kind: string }).kind}'`);
  }
}
