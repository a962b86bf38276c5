import type { RgbImage } from '../decode.js';

/**
 * The pixel-wise ops of timm's RandAugment (`timm/data/auto_augment.py`), on 8-bit RGB images, as PIL computes
 * them: look-up tables per channel (ImageOps) and `Image.blend` with a degenerate image (ImageEnhance). Each
 * returns a new image.
 */

const mapLut = (img: RgbImage, luts: readonly Uint8Array[]): RgbImage => {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = luts[i % 3][img.data[i]];
  return { data: out, width: img.width, height: img.height };
};
const lut = (f: (v: number) => number): Uint8Array => Uint8Array.from({ length: 256 }, (_, v) => f(v));
const sameLut = (img: RgbImage, f: (v: number) => number): RgbImage => {
  const l = lut(f);
  return mapLut(img, [l, l, l]);
};

function histograms(img: RgbImage): Int32Array[] {
  const h = [new Int32Array(256), new Int32Array(256), new Int32Array(256)];
  for (let i = 0; i < img.data.length; i++) h[i % 3][img.data[i]]++;
  return h;
}

export const invert = (img: RgbImage): RgbImage => sameLut(img, (v) => 255 - v);

/** Keeps the top `bits` bits (ImageOps.posterize); 8 or more is the identity, as timm. */
export const posterize = (img: RgbImage, bits: number): RgbImage => sameLut(img, (v) => (bits >= 8 ? v : v & ~((1 << (8 - bits)) - 1)));

/** Inverts values at or above `thresh` (ImageOps.solarize). */
export const solarize = (img: RgbImage, thresh: number): RgbImage => sameLut(img, (v) => (v < thresh ? v : 255 - v));

/** Adds `add` (capped at 255) to values below `thresh` (timm's `solarize_add`). */
export const solarizeAdd = (img: RgbImage, add: number, thresh = 128): RgbImage => sameLut(img, (v) => (v < thresh ? Math.min(255, v + add) : v));

/** Stretches each channel's [min, max] to [0, 255] with truncation (ImageOps.autocontrast, cutoff 0). */
export function autoContrast(img: RgbImage): RgbImage {
  return mapLut(
    img,
    histograms(img).map((h) => {
      let lo = 0;
      while (lo < 255 && h[lo] === 0) lo++;
      let hi = 255;
      while (hi > 0 && h[hi] === 0) hi--;
      if (hi <= lo) return lut((v) => v);
      const scale = 255 / (hi - lo);
      const offset = -lo * scale;
      return lut((v) => Math.min(255, Math.max(0, Math.trunc(v * scale + offset))));
    }),
  );
}

/** Histogram equalisation per channel (ImageOps.equalize: integer steps from the histogram without its last bin). */
export function equalize(img: RgbImage): RgbImage {
  return mapLut(
    img,
    histograms(img).map((h) => {
      const used = Array.from(h).filter((c) => c > 0);
      const step = used.length <= 1 ? 0 : Math.floor((used.reduce((a, b) => a + b, 0) - used[used.length - 1]) / 255);
      if (step === 0) return lut((v) => v);
      const out = new Uint8Array(256);
      let n = Math.floor(step / 2);
      for (let i = 0; i < 256; i++) {
        out[i] = Math.min(255, Math.floor(n / step));
        n += h[i];
      }
      return out;
    }),
  );
}

/** PIL `Image.blend(degenerate, img, factor)` for 8-bit images: `d + f·(x − d)` in float32, truncated, clipped when extrapolating. */
function blend(img: RgbImage, degenerate: (i: number) => number, factor: number): RgbImage {
  const f = Math.fround(factor);
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const d = degenerate(i);
    const v = Math.fround(d + Math.fround(f * (img.data[i] - d)));
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return { data: out, width: img.width, height: img.height };
}

/** PIL's RGB → L: `(299·R + 587·G + 114·B) / 1000` in 16-bit fixed point, rounded. */
const toL = (r: number, g: number, b: number) => (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;

/** ImageEnhance.Brightness: blend with black. */
export const brightness = (img: RgbImage, factor: number): RgbImage => blend(img, () => 0, factor);

/** ImageEnhance.Color: blend with the image's greyscale. */
export function color(img: RgbImage, factor: number): RgbImage {
  const d = img.data;
  return blend(img, (i) => {
    const p = i - (i % 3);
    return toL(d[p], d[p + 1], d[p + 2]);
  }, factor);
}

/** ImageEnhance.Contrast: blend with the mean grey level (of the L image, rounded). */
export function contrast(img: RgbImage, factor: number): RgbImage {
  const d = img.data;
  let sum = 0;
  for (let p = 0; p < d.length; p += 3) sum += toL(d[p], d[p + 1], d[p + 2]);
  const mean = Math.trunc(sum / (d.length / 3) + 0.5);
  return blend(img, () => mean, factor);
}

/**
 * ImageEnhance.Sharpness: blend with PIL's SMOOTH filter (3×3 kernel 1/13·[1 1 1; 1 5 1; 1 1 1], rounded; the
 * one-pixel border keeps the original values).
 */
export function sharpness(img: RgbImage, factor: number): RgbImage {
  const { data, width, height } = img;
  const smooth = Uint8Array.from(data);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += data[((y + dy) * width + x + dx) * 3 + c] * (dx === 0 && dy === 0 ? 5 : 1);
        smooth[(y * width + x) * 3 + c] = Math.min(255, Math.trunc(s / 13 + 0.5));
      }
    }
  }
  return blend(img, (i) => smooth[i], factor);
}

/** Resampling of the geometric ops (timm passes the train `interpolation` to PIL). */
export type AffineInterpolation = 'nearest' | 'bilinear';

/**
 * PIL `Image.transform(size, AFFINE, [a, b, c, d, e, f])`: output pixel (x, y) samples the input at
 * `(a·(x+½) + b·(y+½) + c, d·(x+½) + e·(y+½) + f)`; samples outside the image get `fill`.
 */
export function affine(img: RgbImage, m: readonly number[], interpolation: AffineInterpolation, fill: readonly number[]): RgbImage {
  if (interpolation === 'nearest') return affineNearest(img, m, fill);
  const { data, width, height } = img;
  const out = new Uint8Array(data.length);
  const clampX = (x: number) => (x < 0 ? 0 : x < width ? x : width - 1);
  const clampY = (y: number) => (y < 0 ? 0 : y < height ? y : height - 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const xin = m[0] * (x + 0.5) + m[1] * (y + 0.5) + m[2];
      const yin = m[3] * (x + 0.5) + m[4] * (y + 0.5) + m[5];
      const o = (y * width + x) * 3;
      if (!(xin >= 0 && xin < width && yin >= 0 && yin < height)) {
        out[o] = fill[0];
        out[o + 1] = fill[1];
        out[o + 2] = fill[2];
        continue;
      }
      const xs = xin - 0.5;
      const ys = yin - 0.5;
      const x0 = Math.floor(xs);
      const y0 = Math.floor(ys);
      const dx = xs - x0;
      const dy = ys - y0;
      const r0 = clampY(y0) * width;
      const r1 = clampY(y0 + 1) * width;
      const c0 = clampX(x0);
      const c1 = clampX(x0 + 1);
      for (let c = 0; c < 3; c++) {
        const a = data[(r0 + c0) * 3 + c] + (data[(r0 + c1) * 3 + c] - data[(r0 + c0) * 3 + c]) * dx;
        const b = data[(r1 + c0) * 3 + c] + (data[(r1 + c1) * 3 + c] - data[(r1 + c0) * 3 + c]) * dx;
        out[o + c] = Math.trunc(a + (b - a) * dy);
      }
    }
  }
  return { data: out, width, height };
}

/** PIL's nearest-neighbour affine path (`affine_fixed`): the matrix in 16.16 fixed point, accumulated per pixel. */
function affineNearest(img: RgbImage, m: readonly number[], fill: readonly number[]): RgbImage {
  const { data, width, height } = img;
  const fix = (v: number) => Math.floor(v * 65536 + 0.5);
  const [a0, a1, a3, a4] = [fix(m[0]), fix(m[1]), fix(m[3]), fix(m[4])];
  let a2 = fix(m[2] + m[0] * 0.5 + m[1] * 0.5);
  let a5 = fix(m[5] + m[3] * 0.5 + m[4] * 0.5);
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    let xx = a2;
    let yy = a5;
    for (let x = 0; x < width; x++) {
      const xin = xx >> 16;
      const yin = yy >> 16;
      const o = (y * width + x) * 3;
      const inside = xin >= 0 && xin < width && yin >= 0 && yin < height;
      const s = (yin * width + xin) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = inside ? data[s + c] : fill[c];
      xx += a0;
      yy += a3;
    }
    a2 += a1;
    a5 += a4;
  }
  return { data: out, width, height };
}

export const shearX = (img: RgbImage, factor: number, i: AffineInterpolation, fill: readonly number[]) => affine(img, [1, factor, 0, 0, 1, 0], i, fill);
export const shearY = (img: RgbImage, factor: number, i: AffineInterpolation, fill: readonly number[]) => affine(img, [1, 0, 0, factor, 1, 0], i, fill);
export const translateXRel = (img: RgbImage, pct: number, i: AffineInterpolation, fill: readonly number[]) => affine(img, [1, 0, pct * img.width, 0, 1, 0], i, fill);
export const translateYRel = (img: RgbImage, pct: number, i: AffineInterpolation, fill: readonly number[]) => affine(img, [1, 0, 0, 0, 1, pct * img.height], i, fill);

/** PIL `Image.rotate(degrees)` (counter-clockwise about the centre, same size): its matrix, cos/sin rounded to 15 places. */
export function rotate(img: RgbImage, degrees: number, i: AffineInterpolation, fill: readonly number[]): RgbImage {
  const angle = -((degrees % 360) * Math.PI) / 180;
  const r15 = (v: number) => Math.round(v * 1e15) / 1e15;
  const [a, b, d, e] = [r15(Math.cos(angle)), r15(Math.sin(angle)), r15(-Math.sin(angle)), r15(Math.cos(angle))];
  const cx = img.width / 2;
  const cy = img.height / 2;
  return affine(img, [a, b, a * -cx + b * -cy + cx, d, e, d * -cx + e * -cy + cy], i, fill);
}
