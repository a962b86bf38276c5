import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { autoContrast, brightness, color, contrast, equalize, invert, posterize, sharpness, solarize, solarizeAdd } from '../../src/augment/rand-augment-ops.js';
import type { RgbImage } from '../../src/index.js';

const fix = JSON.parse(readFileSync(new URL('../fixtures/aug-fixtures.json', import.meta.url), 'utf8')).randaugment as {
  width: number; height: number; image: number[]; ops: { op: string; args: Record<string, number>; out: number[] }[];
};
const img: RgbImage = { data: Uint8Array.from(fix.image), width: fix.width, height: fix.height };

const OPS: Record<string, (a: Record<string, number>) => RgbImage> = {
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
      expect(diff).toBe(0);
    });
  }
});
