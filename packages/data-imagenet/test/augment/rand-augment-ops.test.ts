import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { autoContrast, brightness, color, contrast, equalize, invert, posterize, rotate, sharpness, shearX, shearY, solarize, solarizeAdd, translateXRel, translateYRel, type AffineInterpolation } from '../../src/augment/rand-augment-ops.js';
import type { RgbImage } from '../../src/index.js';

const fix = JSON.parse(readFileSync(new URL('../fixtures/aug-fixtures.json', import.meta.url), 'utf8')).randaugment as {
  width: number; height: number; fill: number[]; image: number[]; ops: { op: string; args: Record<string, number> & { interpolation?: AffineInterpolation }; out: number[] }[];
};
const img: RgbImage = { data: Uint8Array.from(fix.image), width: fix.width, height: fix.height };

const OPS: Record<string, (a: Record<string, number> & { interpolation?: AffineInterpolation }) => RgbImage> = {
  shear_x: (a) => shearX(img, a.factor, a.interpolation!, fix.fill),
  shear_y: (a) => shearY(img, a.factor, a.interpolation!, fix.fill),
  translate_x_rel: (a) => translateXRel(img, a.pct, a.interpolation!, fix.fill),
  translate_y_rel: (a) => translateYRel(img, a.pct, a.interpolation!, fix.fill),
  rotate: (a) => rotate(img, a.degrees, a.interpolation!, fix.fill),
  auto_contrast: () => autoContrast(img),
  invert: () => invert(img),
  equalize: () => equalize(img),
  solarize: (a) => solarize(img, a.thresh),
  solarize_add: (a) => solarizeAdd(img, a.add),
  posterize: (a) => posterize(img, a.bits_to_keep),
  contrast: (a) => contrast(img, a.factor),
  color: (a) => color(img, a.factor),
  brightness: (a) => brightness(img, a.factor),
  sharpness: (a) => sharpness(img, a.factor),
};

describe("RandAugment pixel ops against timm's (PIL) outputs", () => {
  for (const { op, args, out } of fix.ops) {
    it(`${op}(${JSON.stringify(args)}) equals timm's output exactly`, () => {
      const got = OPS[op](args);
      expect(got.width).toBe(fix.width);
      let diff = 0;
      for (let i = 0; i < out.length; i++) diff = Math.max(diff, Math.abs(got.data[i] - out[i]));
      expect(diff, `max |ours - PIL| = ${diff}`).toBe(0);
    });
  }
});
