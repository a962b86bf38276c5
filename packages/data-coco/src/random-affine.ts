import type { Rng } from '@hrnet/core';

/**
 * The random affine augmentation of bottom-up pose training (`RandomAffineTransform` +
 * `RandomHorizontalFlip` in lib/dataset/transforms/transforms.py): one draw of centre, scale,
 * rotation and flip per sample, applied to the image at the input size and to masks and joints
 * at every output size.
 */
export interface AffineAugmentConfig {
  /** Degrees; rotation ~ U(-maxRotation, maxRotation). Default 30. */
  maxRotation: number;
  /** aug_scale ~ U(minScale, maxScale). Defaults 0.75 / 1.5. */
  minScale: number;
  maxScale: number;
  /** 'short' (default): s = min(h, w) / 200; 'long': max(h, w) / 200. */
  scaleType: 'short' | 'long';
  /** Centre shift in [-maxTranslate*s, maxTranslate*s) pixels (s in 200-px units). Default 40; 0 disables. */
  maxTranslate: number;
  /** Probability of a horizontal flip. Default 0.5. */
  flipProb: number;
}

export const DEFAULT_AFFINE_AUGMENT: Readonly<AffineAugmentConfig> = Object.freeze({
  maxRotation: 30,
  minScale: 0.75,
  maxScale: 1.5,
  scaleType: 'short',
  maxTranslate: 40,
  flipProb: 0.5,
});

/** One recorded draw. Feed recorded values (e.g. from the reference fixtures) to reproduce a sample. */
export interface AffineParams {
  /** Crop centre in source pixels (image centre plus the translation). */
  center: [number, number];
  /** Crop side in units of 200 source pixels, aug_scale included. */
  scale: number;
  /** The drawn aug_scale factor (the scale-aware sigma divides by it). */
  augScale: number;
  /** Rotation in degrees (positive = counter-clockwise in the image, as in the reference). */
  rotation: number;
  /** The drawn integer translation (already included in `center`). */
  translate: [number, number];
  /** Mirror the augmented image, masks and joints horizontally. */
  flip: boolean;
}

/** numpy's legacy `randint(low, high)` for float bounds: both truncated toward zero, high exclusive. */
function randintTrunc(rng: Rng, low: number, high: number): number {
  const lo = Math.trunc(low);
  const hi = Math.trunc(high);
  if (hi <= lo) return lo; // numpy raises here (only for images smaller than ~7 px)
  return lo + rng.int(hi - lo);
}

/**
 * Draws the parameters in the reference's order: aug_scale, rotation, dx, dy, then flip.
 * `width`/`height` are the source image size.
 */
export function drawAffineParams(
  rng: Rng,
  width: number,
  height: number,
  config: Partial<AffineAugmentConfig> = {},
): AffineParams {
  const cfg = { ...DEFAULT_AFFINE_AUGMENT, ...config };
  if (cfg.scaleType !== 'short' && cfg.scaleType !== 'long') throw new Error(`unknown scaleType: ${String(cfg.scaleType)}`);
  const base = (cfg.scaleType === 'short' ? Math.min(height, width) : Math.max(height, width)) / 200;
  const augScale = rng.next() * (cfg.maxScale - cfg.minScale) + cfg.minScale;
  const scale = base * augScale;
  const rotation = (rng.next() * 2 - 1) * cfg.maxRotation;
  let dx = 0;
  let dy = 0;
  if (cfg.maxTranslate > 0) {
    dx = randintTrunc(rng, -cfg.maxTranslate * scale, cfg.maxTranslate * scale);
    dy = randintTrunc(rng, -cfg.maxTranslate * scale, cfg.maxTranslate * scale);
  }
  const flip = rng.next() < cfg.flipProb;
  return { center: [width / 2 + dx, height / 2 + dy], scale, augScale, rotation, translate: [dx, dy], flip };
}

/** Parameters that map the whole image, centred, without augmentation (scale from `scaleType`). */
export function identityAffineParams(width: number, height: number, scaleType: 'short' | 'long' = 'short'): AffineParams {
  const scale = (scaleType === 'short' ? Math.min(height, width) : Math.max(height, width)) / 200;
  return { center: [width / 2, height / 2], scale, augScale: 1, rotation: 0, translate: [0, 0], flip: false };
}

function mul3(a: number[], b: number[]): number[] {
  const out = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) out[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
  }
  return out;
}

/**
 * The 2x3 matrix (row-major `[a, b, c, d, e, f]`: x' = a x + b y + c, y' = d x + e y + f) that maps
 * source pixels to a `res` x `res` crop: zoom res/(200 s), the centre to (res/2, res/2), then a
 * rotation by -rotation degrees about (res/2, res/2). The flip is not part of it.
 */
export function affineMatrix(params: Pick<AffineParams, 'center' | 'scale' | 'rotation'>, res: number): Float64Array {
  const h = 200 * params.scale;
  let t = [res / h, 0, res * (-params.center[0] / h + 0.5), 0, res / h, res * (-params.center[1] / h + 0.5), 0, 0, 1];
  if (params.rotation !== 0) {
    const rad = (-params.rotation * Math.PI) / 180;
    const sn = Math.sin(rad);
    const cs = Math.cos(rad);
    const rot = [cs, -sn, 0, sn, cs, 0, 0, 0, 1];
    const toOrigin = [1, 0, -res / 2, 0, 1, -res / 2, 0, 0, 1];
    const back = [1, 0, res / 2, 0, 1, res / 2, 0, 0, 1];
    t = mul3(back, mul3(rot, mul3(toOrigin, t)));
  }
  return Float64Array.from(t.slice(0, 6));
}
