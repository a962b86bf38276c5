import type { Rng } from '@hrnet/core';
import type { Box } from '../decode.js';

/**
 * timm's `Mixup` in its default 'batch' mode (what timm's and MindCV's `mixup`/`cutmix` config keys build):
 * one λ per batch, image i mixed with image N-1-i (the batch flipped), targets mixed with the same λ.
 */
export interface MixupOptions {
  /** Mixup Beta(α, α); active when > 0 (timm `mixup`, MindCV `mixup`). */
  mixupAlpha?: number;
  /** CutMix Beta(α, α); active when > 0 (timm/MindCV `cutmix`). */
  cutmixAlpha?: number;
  /** Probability that a batch is mixed at all (timm `mixup_prob`, MindCV `mixup_prob`). Default 1. */
  prob?: number;
  /** With both active: probability of cutmix instead of mixup (`mixup_switch_prob`). Default 0.5. */
  switchProb?: number;
  /** Correct λ by the clipped box area, as timm's default `correct_lam=True`. Default true. */
  correctLam?: boolean;
}

/** The drawn parameters of one batch: `lam` (1 = unmixed) and, for cutmix, the pasted box. */
export interface MixParams {
  lam: number;
  /** Cutmix box (image i gets image N-1-i's pixels inside it); absent for mixup. */
  box?: Box;
}

/** Gamma(shape, 1) by Marsaglia–Tsang (shape < 1 boosted by U^(1/shape)). */
function sampleGamma(shape: number, rng: Rng): number {
  if (shape < 1) return sampleGamma(shape + 1, rng) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(a, b) from two gammas (numpy's `random.beta` draws from the same distribution, not the same stream). */
export function sampleBeta(a: number, b: number, rng: Rng): number {
  const x = sampleGamma(a, rng);
  const y = sampleGamma(b, rng);
  return x / (x + y);
}

/**
 * timm's `rand_bbox` + `cutmix_bbox_and_lam`: a box of `int(side·sqrt(1-λ))` per side centred at a uniform
 * pixel, clipped to the image (half-sides by floor division, as timm), and λ corrected to
 * `1 - boxArea / imageArea` when `correctLam`.
 */
export function cutmixBoxAndLam(height: number, width: number, lam: number, rng: Rng, correctLam = true): MixParams {
  const ratio = Math.sqrt(1 - lam);
  const cutH = Math.trunc(height * ratio);
  const cutW = Math.trunc(width * ratio);
  const cy = rng.int(height);
  const cx = rng.int(width);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const yl = clip(cy - Math.floor(cutH / 2), height);
  const yh = clip(cy + Math.floor(cutH / 2), height);
  const xl = clip(cx - Math.floor(cutW / 2), width);
  const xh = clip(cx + Math.floor(cutW / 2), width);
  const box = { left: xl, top: yl, width: xh - xl, height: yh - yl };
  return { lam: correctLam ? 1 - (box.width * box.height) / (height * width) : lam, box };
}

function checkOptions(o: MixupOptions): Required<MixupOptions> {
  const { mixupAlpha = 0, cutmixAlpha = 0, prob = 1, switchProb = 0.5, correctLam = true } = o;
  if (!(mixupAlpha >= 0) || !(cutmixAlpha >= 0)) throw new Error(`mixup: alphas must be >= 0, got mixup ${mixupAlpha}, cutmix ${cutmixAlpha}`);
  if (!(prob >= 0 && prob <= 1)) throw new Error(`mixup: prob must be in [0, 1], got ${prob}`);
  if (!(switchProb >= 0 && switchProb <= 1)) throw new Error(`mixup: switchProb must be in [0, 1], got ${switchProb}`);
  return { mixupAlpha, cutmixAlpha, prob, switchProb, correctLam };
}

/** timm's `Mixup._params_per_batch` followed by the cutmix box: the draws of one batch of `height`×`width` images. */
export function sampleMixParams(opts: MixupOptions, height: number, width: number, rng: Rng): MixParams {
  const { mixupAlpha, cutmixAlpha, prob, switchProb, correctLam } = checkOptions(opts);
  if (!(mixupAlpha > 0 || cutmixAlpha > 0) || !(rng.next() < prob)) return { lam: 1 };
  const useCutmix = mixupAlpha > 0 && cutmixAlpha > 0 ? rng.next() < switchProb : cutmixAlpha > 0;
  const alpha = useCutmix ? cutmixAlpha : mixupAlpha;
  const lam = sampleBeta(alpha, alpha, rng);
  return useCutmix ? cutmixBoxAndLam(height, width, lam, rng, correctLam) : { lam };
}

/**
 * Mixes an NHWC float32 batch in place with the drawn `params` (timm's `_mix_batch`: mixup blends image i with
 * image N-1-i; cutmix copies image N-1-i's pixels inside the box; timm asserts an even batch, here the middle
 * image of an odd one, left by a skipped corrupt file, pairs with itself and stays as it is) and returns the soft targets [N·K] of
 * timm's `mixup_target`: `λ·onehot(y_i) + (1-λ)·onehot(y_{N-1-i})` (label smoothing is the loss's, see
 * @hrnet/core's `crossEntropy`).
 */
export function mixBatchInPlace(
  images: Float32Array,
  shape: readonly [number, number, number, number],
  labels: Int32Array,
  numClasses: number,
  params: MixParams,
): Float32Array {
  const [n, h, w, c] = shape;
  if (images.length !== n * h * w * c) throw new Error(`mixBatch: ${images.length} values do not match shape [${shape.join(', ')}]`);
  if (labels.length !== n) throw new Error(`mixBatch: ${n} images but ${labels.length} labels`);
  const { lam, box } = params;
  const img = h * w * c;
  // Every pair (i, N-1-i) reads the other's original pixels: mix both halves of the pair at once.
  for (let i = 0; i < n / 2 && lam !== 1; i++) {
    const a = i * img;
    const b = (n - 1 - i) * img;
    if (box) {
      for (let y = box.top; y < box.top + box.height; y++) {
        for (let x = box.left * c; x < (box.left + box.width) * c; x++) {
          const o = y * w * c + x;
          const t = images[a + o];
          images[a + o] = images[b + o];
          images[b + o] = t;
        }
      }
    } else {
      for (let o = 0; o < img; o++) {
        const va = images[a + o];
        const vb = images[b + o];
        images[a + o] = va * lam + vb * (1 - lam);
        images[b + o] = vb * lam + va * (1 - lam);
      }
    }
  }
  const targets = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const yf = labels[n - 1 - i];
    if (!(y >= 0 && y < numClasses) || !(yf >= 0 && yf < numClasses)) throw new Error(`mixBatch: label out of [0, ${numClasses})`);
    targets[i * numClasses + y] += lam;
    targets[i * numClasses + yf] += 1 - lam;
  }
  return targets;
}
