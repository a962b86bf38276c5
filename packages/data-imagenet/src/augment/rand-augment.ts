import type { Rng } from '@hrnet/core';
import type { RgbImage } from '../decode.js';
import * as ops from './rand-augment-ops.js';

/** A parsed RandAugment string (timm `rand-m9-mstd0.5-inc1`, MindCV `randaug-m7-mstd0.5-inc1`). */
export interface RandAugmentPolicy {
  magnitude: number;
  numLayers: number;
  prob: number;
  /** Std of the magnitude noise; Infinity = uniform in [0, magnitude] (timm: mstd > 100). */
  magnitudeStd: number;
  magnitudeMax: number;
  ops: string[];
}

const LEVEL_DENOM = 10;
const BASE = ['AutoContrast', 'Equalize', 'Invert', 'Rotate'];
const GEOMETRIC = ['ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel'];
const RAND_TRANSFORMS = [...BASE, 'Posterize', 'Solarize', 'SolarizeAdd', 'Color', 'Contrast', 'Brightness', 'Sharpness', ...GEOMETRIC];
const RAND_INCREASING = [...BASE, 'PosterizeIncreasing', 'SolarizeIncreasing', 'SolarizeAdd', 'ColorIncreasing', 'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing', ...GEOMETRIC];

/** timm's `rand_augment_transform` string grammar (sections m, n, p, mstd, mmax, inc); `randaug` is MindCV's prefix. */
export function parseRandAugment(config: string): RandAugmentPolicy {
  const [head, ...sections] = config.split('-');
  if (head !== 'rand' && head !== 'randaug') throw new Error(`auto_augment: expected 'rand-…' or 'randaug-…' (RandAugment), got '${config}'`);
  const p: RandAugmentPolicy = { magnitude: LEVEL_DENOM, numLayers: 2, prob: 0.5, magnitudeStd: 0, magnitudeMax: LEVEL_DENOM, ops: RAND_TRANSFORMS };
  for (const s of sections) {
    const m = /^([a-z]+)(\d.*)$/.exec(s);
    if (!m) throw new Error(`auto_augment: cannot read section '${s}' of '${config}' (expected m, n, p, mstd, mmax or inc followed by a number)`);
    const [, key, val] = m;
    const v = Number(val);
    if (!Number.isFinite(v)) throw new Error(`auto_augment: '${s}' of '${config}' is not a number`);
    if (key === 'm') p.magnitude = Math.trunc(v);
    else if (key === 'n') p.numLayers = Math.trunc(v);
    else if (key === 'p') p.prob = v;
    else if (key === 'mstd') p.magnitudeStd = v > 100 ? Infinity : v;
    else if (key === 'mmax') p.magnitudeMax = Math.trunc(v);
    else if (key === 'inc') p.ops = val.length > 0 ? RAND_INCREASING : p.ops;
    else throw new Error(`auto_augment: unknown section '${key}' in '${config}'`);
  }
  return p;
}

export interface RandAugmentApplyOptions {
  /** Resampling of the geometric ops (timm passes the train interpolation). */
  interpolation: ops.AffineInterpolation;
  /** Fill of uncovered pixels: timm's `img_mean`, the dataset mean × 255 rounded. */
  fill: readonly number[];
}

const negate = (v: number, rng: Rng) => (rng.next() > 0.5 ? -v : v);

function applyOp(name: string, img: RgbImage, level: number, rng: Rng, o: RandAugmentApplyOptions): RgbImage {
  const f = level / LEVEL_DENOM;
  const enhance = () => f * 1.8 + 0.1;
  const enhanceInc = () => Math.max(0.1, 1 + negate(f * 0.9, rng));
  switch (name) {
    case 'AutoContrast': return ops.autoContrast(img);
    case 'Equalize': return ops.equalize(img);
    case 'Invert': return ops.invert(img);
    case 'Rotate': return ops.rotate(img, negate(f * 30, rng), o.interpolation, o.fill);
    case 'Posterize': return ops.posterize(img, Math.trunc(f * 4));
    case 'PosterizeIncreasing': return ops.posterize(img, 4 - Math.trunc(f * 4));
    case 'Solarize': return ops.solarize(img, Math.min(256, Math.trunc(f * 256)));
    case 'SolarizeIncreasing': return ops.solarize(img, 256 - Math.min(256, Math.trunc(f * 256)));
    case 'SolarizeAdd': return ops.solarizeAdd(img, Math.min(128, Math.trunc(f * 110)));
    case 'Color': return ops.color(img, enhance());
    case 'ColorIncreasing': return ops.color(img, enhanceInc());
    case 'Contrast': return ops.contrast(img, enhance());
    case 'ContrastIncreasing': return ops.contrast(img, enhanceInc());
    case 'Brightness': return ops.brightness(img, enhance());
    case 'BrightnessIncreasing': return ops.brightness(img, enhanceInc());
    case 'Sharpness': return ops.sharpness(img, enhance());
    case 'SharpnessIncreasing': return ops.sharpness(img, enhanceInc());
    case 'ShearX': return ops.shearX(img, negate(f * 0.3, rng), o.interpolation, o.fill);
    case 'ShearY': return ops.shearY(img, negate(f * 0.3, rng), o.interpolation, o.fill);
    case 'TranslateXRel': return ops.translateXRel(img, negate(f * 0.45, rng), o.interpolation, o.fill);
    case 'TranslateYRel': return ops.translateYRel(img, negate(f * 0.45, rng), o.interpolation, o.fill);
    default: throw new Error(`RandAugment: unknown op '${name}'`);
  }
}

/**
 * timm's `RandAugment.__call__`: `numLayers` ops chosen uniformly with replacement, each applied with probability
 * `prob` at a magnitude drawn around `magnitude` (normal with `magnitudeStd`, or uniform when infinite), clipped to
 * [0, magnitudeMax], mapped to the op's argument by timm's `LEVEL_TO_ARG` (signed args negated with probability ½).
 */
export function randAugment(img: RgbImage, policy: RandAugmentPolicy, rng: Rng, o: RandAugmentApplyOptions): RgbImage {
  const chosen = Array.from({ length: policy.numLayers }, () => policy.ops[rng.int(policy.ops.length)]);
  let out = img;
  for (const name of chosen) {
    if (policy.prob < 1 && rng.next() > policy.prob) continue;
    let m = policy.magnitude;
    if (policy.magnitudeStd === Infinity) m = rng.uniform(0, m);
    else if (policy.magnitudeStd > 0) m = m + policy.magnitudeStd * rng.normal();
    out = applyOp(name, out, Math.max(0, Math.min(m, policy.magnitudeMax)), rng, o);
  }
  return out;
}
