import { multiScaleSize, type Rng } from '@hrnet/core';
import type { RgbImage } from './decode.js';
import { IGNORE_LABEL } from './labels.js';

/** ImageNet statistics of BaseDataset.input_transform (on RGB / 255). */
export const CITYSCAPES_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const CITYSCAPES_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** A network-ready sample: normalized float32 HWC RGB and train ids (255 = ignore), same H × W. */
export interface SegSample {
  image: Float32Array;
  label: Uint8Array;
  height: number;
  width: number;
}

export interface TrainAugOptions {
  /** TRAIN.IMAGE_SIZE as [h, w] (Cityscapes [512, 1024]). */
  crop: [number, number];
  /** TRAIN.BASE_SIZE: long side at scale 1 (Cityscapes 2048). */
  baseSize: number;
  /** TRAIN.MULTI_SCALE: scale = 0.5 + randint(0, scaleFactor) / 10. Default true. */
  multiScale?: boolean;
  /** TRAIN.SCALE_FACTOR. Default 16 (scales 0.5 … 2.1). */
  scaleFactor?: number;
  /** TRAIN.FLIP: mirror with probability 1/2. Default true. */
  flip?: boolean;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

/**
 * Bilinear resize of 8-bit RGB with cv2.resize's INTER_LINEAR sampling (half-pixel centres, edge clamp, no
 * antialiasing), computed in float and rounded; cv2's fixed-point arithmetic may differ by one grey level.
 */
export function resizeBilinearU8(img: RgbImage, h: number, w: number): RgbImage {
  if (h === img.height && w === img.width) return img;
  const out = new Uint8Array(h * w * 3);
  const axis = (outSize: number, inSize: number) => {
    const lo = new Int32Array(outSize);
    const hi = new Int32Array(outSize);
    const f = new Float32Array(outSize);
    for (let o = 0; o < outSize; o++) {
      const s = Math.max(0, ((o + 0.5) * inSize) / outSize - 0.5);
      lo[o] = Math.min(Math.floor(s), inSize - 1);
      hi[o] = Math.min(lo[o] + 1, inSize - 1);
      f[o] = s - Math.floor(s);
    }
    return { lo, hi, f };
  };
  const ys = axis(h, img.height);
  const xs = axis(w, img.width);
  const src = img.data;
  const W = img.width;
  for (let y = 0; y < h; y++) {
    const r0 = ys.lo[y] * W;
    const r1 = ys.hi[y] * W;
    const fy = ys.f[y];
    for (let x = 0; x < w; x++) {
      const c0 = xs.lo[x];
      const c1 = xs.hi[x];
      const fx = xs.f[x];
      for (let c = 0; c < 3; c++) {
        const top = src[(r0 + c0) * 3 + c] * (1 - fx) + src[(r0 + c1) * 3 + c] * fx;
        const bottom = src[(r1 + c0) * 3 + c] * (1 - fx) + src[(r1 + c1) * 3 + c] * fx;
        out[(y * w + x) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { data: out, height: h, width: w };
}

/** cv2.resize INTER_NEAREST of a label map: source index floor(dst · in / out). */
export function resizeNearestLabels(label: Uint8Array, inH: number, inW: number, h: number, w: number): Uint8Array {
  if (h === inH && w === inW) return label;
  const out = new Uint8Array(h * w);
  const cols = Int32Array.from({ length: w }, (_, x) => Math.min(Math.floor((x * inW) / w), inW - 1));
  for (let y = 0; y < h; y++) {
    const sy = Math.min(Math.floor((y * inH) / h), inH - 1) * inW;
    for (let x = 0; x < w; x++) out[y * w + x] = label[sy + cols[x]];
  }
  return out;
}

/** (rgb / 255 − mean) / std, HWC float32. */
export function normalizeRgb(img: RgbImage, mean: readonly number[] = CITYSCAPES_MEAN, std: readonly number[] = CITYSCAPES_STD): Float32Array {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < img.data.length; i++) {
    const c = i % 3;
    out[i] = (img.data[i] / 255 - mean[c]) / std[c];
  }
  return out;
}

/**
 * BaseDataset.gen_sample for training: random scale (`multi_scale_aug`: long side baseSize·scale, image
 * bilinear, labels nearest), zero / ignore padding at the bottom and right up to the crop, a uniform random crop
 * (x then y, bounds inclusive as `random.randint`), normalization, and a horizontal flip with probability 1/2.
 * Random draws in the reference's order: scale, x, y, flip.
 */
export function trainAugment(image: RgbImage, label: Uint8Array, opts: TrainAugOptions, rng: Rng): SegSample {
  const { crop: [ch, cw], baseSize, multiScale = true, scaleFactor = 16, flip = true } = opts;
  if (label.length !== image.height * image.width) throw new Error(`trainAugment: ${label.length} labels for a ${image.width}x${image.height} image`);
  let img = image;
  let lab = label;
  if (multiScale) {
    const scale = 0.5 + rng.int(scaleFactor + 1) / 10;
    const [h, w] = multiScaleSize(image.height, image.width, baseSize, scale);
    img = resizeBilinearU8(image, h, w);
    lab = resizeNearestLabels(label, image.height, image.width, h, w);
  }
  const ph = Math.max(ch, img.height);
  const pw = Math.max(cw, img.width);
  const x0 = rng.int(pw - cw + 1);
  const y0 = rng.int(ph - ch + 1);
  const mirror = flip && rng.int(2) === 1;
  const out = new Float32Array(ch * cw * 3);
  const outLabel = new Uint8Array(ch * cw).fill(IGNORE_LABEL);
  const norm = normalizeRgb(img, opts.mean, opts.std);
  // Padded image pixels are 0 before normalization: (0 − mean) / std.
  const mean = opts.mean ?? CITYSCAPES_MEAN;
  const std = opts.std ?? CITYSCAPES_STD;
  for (let y = 0; y < ch; y++) {
    const sy = y0 + y;
    for (let x = 0; x < cw; x++) {
      const sx = x0 + x;
      const o = y * cw + (mirror ? cw - 1 - x : x);
      if (sy < img.height && sx < img.width) {
        const s = sy * img.width + sx;
        out[o * 3] = norm[s * 3];
        out[o * 3 + 1] = norm[s * 3 + 1];
        out[o * 3 + 2] = norm[s * 3 + 2];
        outLabel[o] = lab[s];
      } else {
        for (let c = 0; c < 3; c++) out[o * 3 + c] = -mean[c] / std[c];
      }
    }
  }
  return { image: out, label: outLabel, height: ch, width: cw };
}

/** Evaluation: the whole image normalized, labels unchanged (testval). */
export function evalSample(image: RgbImage, label: Uint8Array, mean?: readonly number[], std?: readonly number[]): SegSample {
  return { image: normalizeRgb(image, mean, std), label, height: image.height, width: image.width };
}
