import { decodeImage, readImageSize, type Box, type ImageSource, type Interpolation, type RgbImage } from './decode.js';
import type { Rng } from './rng.js';

/** ImageNet channel statistics (RGB, on [0, 1] pixels), as timm's `IMAGENET_DEFAULT_MEAN/STD`. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];
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
function pyRound(x: number): number {
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
export function evalTransform(opts: EvalTransformOptions): ImageTransform {
  const { size, cropPct = DEFAULT_CROP_PCT, interpolation = 'bicubic' } = opts;
  checkSize('evalTransform size', size);
  if (!(cropPct > 0 && cropPct <= 1)) throw new Error(`evalTransform cropPct must be in (0, 1], got ${cropPct}`);
  const scaleSize = Math.floor(size / cropPct);
  return {
    outputShape: [size, size, 3],
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
export function trainTransform(opts: TrainTransformOptions): ImageTransform {
  const { size, scaleSize = Math.floor(size / DEFAULT_CROP_PCT), hflip = 0.5, interpolation = 'bilinear' } = opts;
  checkSize('trainTransform size', size);
  checkSize('trainTransform scaleSize', scaleSize);
  if (scaleSize < size) throw new Error(`trainTransform scaleSize (${scaleSize}) must be >= size (${size})`);
  return {
    outputShape: [size, size, 3],
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
