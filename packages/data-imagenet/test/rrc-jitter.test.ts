import { describe, expect, it } from 'vitest';
import { colorJitterInPlace, createRng, randomResizedCropBox, randomResizedCropTransform, transformFromSpec, type Rng } from '../src/index.js';
import { gradientPng } from './helpers.js';

/** An rng whose uniform() always returns `pick(lo, hi)` and int() 0. */
const stubRng = (pick: (lo: number, hi: number) => number): Rng => ({ next: () => 0, int: () => 0, uniform: pick, normal: () => 0 });

describe('randomResizedCropBox (torchvision RandomResizedCrop.get_params)', () => {
  it('draws area fractions in [0.08, 1] and aspect ratios in [3/4, 4/3], inside the image', () => {
    const rng = createRng(1);
    const fractions: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const b = randomResizedCropBox(500, 375, rng);
      expect(b.left >= 0 && b.top >= 0 && b.left + b.width <= 500 && b.top + b.height <= 375).toBe(true);
      const f = (b.width * b.height) / (500 * 375);
      fractions.push(f);
      if (f < 0.999) {
        // rounding of w and h moves the ratio and area a little
        expect(b.width / b.height).toBeGreaterThan(0.75 * 0.97);
        expect(b.width / b.height).toBeLessThan((4 / 3) * 1.03);
        expect(f).toBeGreaterThan(0.08 * 0.97);
      }
    }
    const mean = fractions.reduce((a, b) => a + b) / fractions.length;
    expect(mean).toBeGreaterThan(0.38); // uniform on [0.08, 1] is 0.54; large crops that do not fit are redrawn
    expect(mean).toBeLessThan(0.54);
  });

  it('is reproducible for a seed', () => {
    const a = Array.from({ length: 5 }, ((r) => () => randomResizedCropBox(320, 240, r))(createRng(9)));
    const b = Array.from({ length: 5 }, ((r) => () => randomResizedCropBox(320, 240, r))(createRng(9)));
    expect(a).toEqual(b);
  });

  it('falls back to a center crop at the nearest allowed ratio after 10 failed attempts', () => {
    // 1000x4: any crop of >= 8% of the area with ratio <= 4/3 is taller than 4 px, so all 10 attempts fail;
    // the image is wider than 4/3: h = 4, w = round(4 * 4/3) = 5, centered.
    expect(randomResizedCropBox(1000, 4, createRng(3))).toEqual({ left: 497, top: 0, width: 5, height: 4 });
    // 4x1000 (taller than 3/4): w = 4, h = round(4 / (3/4)) = 5
    expect(randomResizedCropBox(4, 1000, createRng(3))).toEqual({ left: 0, top: 497, width: 4, height: 5 });
  });
});

describe('randomResizedCropTransform', () => {
  it('outputs size x size x 3, reproducibly, and a spec that rebuilds the same transform', async () => {
    const png = await gradientPng(120, 90);
    const t = randomResizedCropTransform({ size: 32, colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 } });
    const a = await t.apply(png, createRng(4));
    expect(a.length).toBe(32 * 32 * 3);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(await t.apply(png, createRng(4))).toEqual(a);
    expect(await transformFromSpec(t.spec).apply(png, createRng(4))).toEqual(a);
    expect(await t.apply(png, createRng(5))).not.toEqual(a);
    expect(JSON.parse(JSON.stringify(t.spec))).toEqual(t.spec);
  });

  it('crops the chosen box: with scale [1, 1] and ratio of the image, the whole image is resized', async () => {
    const png = await gradientPng(64, 48);
    const t = randomResizedCropTransform({ size: 32, scale: [1, 1], ratio: [64 / 48, 64 / 48], hflip: 0, mean: [0, 0, 0], std: [1, 1, 1] });
    const out = await t.apply(png, createRng(1));
    // red channel = x: left column ~ small, right column ~ 63/255
    expect(out[0]).toBeLessThan(0.03);
    expect(out[31 * 3]).toBeGreaterThan(0.22);
  });

  it('random erasing comes last, on the normalised image: the crop is kept outside the erased box', async () => {
    const png = await gradientPng(64, 48);
    const plain = randomResizedCropTransform({ size: 32 });
    const erased = randomResizedCropTransform({ size: 32, randomErasing: { prob: 1, mode: 'const' } });
    const a = await plain.apply(png, createRng(2));
    const b = await erased.apply(png, createRng(2));
    let zeroed = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) {
        expect(b[i]).toBe(0);
        zeroed++;
      }
    }
    expect(zeroed / 3).toBeGreaterThanOrEqual(Math.floor(0.02 * 32 * 32) - 32);
    expect(await transformFromSpec(erased.spec).apply(png, createRng(2))).toEqual(b);
  });

  it('RandAugment (auto_augment) changes the crop reproducibly; the spec rebuilds it; bicubic and bad strings are refused', async () => {
    const png = await gradientPng(64, 48);
    const plain = randomResizedCropTransform({ size: 32 });
    const aug = randomResizedCropTransform({ size: 32, autoAugment: 'rand-m9-n3-mstd0.5-p1.0' });
    const b = await aug.apply(png, createRng(3));
    expect(b).not.toEqual(await plain.apply(png, createRng(3)));
    expect(await transformFromSpec(aug.spec).apply(png, createRng(3))).toEqual(b);
    expect(() => randomResizedCropTransform({ size: 32, autoAugment: 'rand-m9', interpolation: 'bicubic' })).toThrow(/bicubic/);
    expect(() => randomResizedCropTransform({ size: 32, autoAugment: 'autoaug-v0' })).toThrow(/auto_augment: expected 'rand-/);
  });

  it('validates its options', () => {
    expect(() => randomResizedCropTransform({ size: 32, scale: [0.5, 0.1] })).toThrow(/scale/);
    expect(() => randomResizedCropTransform({ size: 32, ratio: [0, 1] })).toThrow(/ratio/);
  });
});

describe('colorJitterInPlace (torchvision ColorJitter)', () => {
  const image = (px: number[]) => ({ data: Uint8Array.from(px), width: px.length / 3, height: 1 });

  it('brightness multiplies (clamped)', () => {
    const img = image([100, 50, 200, 0, 10, 20]);
    colorJitterInPlace(img, { brightness: 0.5 }, stubRng((_lo, hi) => hi)); // factor 1.5
    expect(Array.from(img.data)).toEqual([150, 75, 255, 0, 15, 30]);
  });

  it('contrast blends with the mean grey level', () => {
    const img = image([100, 100, 100, 200, 200, 200]); // luma 100 and 200, mean 150
    colorJitterInPlace(img, { contrast: 1 }, stubRng((_lo, hi) => hi)); // factor 2: 2x - 150
    expect(Array.from(img.data)).toEqual([50, 50, 50, 250, 250, 250]);
  });

  it('saturation 0 gives the grey (ITU-R 601 luma) of each pixel', () => {
    const img = image([255, 0, 0]);
    colorJitterInPlace(img, { saturation: 1 }, stubRng((lo) => lo)); // factor max(0, 1 - 1) = 0
    expect(Array.from(img.data)).toEqual([76, 76, 76]); // 0.299 * 255
  });

  it('hue rotates in HSV: a half turn sends red to cyan', () => {
    const img = image([255, 0, 0, 0, 255, 0]);
    colorJitterInPlace(img, { hue: 0.5 }, stubRng((_lo, hi) => hi));
    expect(Array.from(img.data)).toEqual([0, 255, 255, 255, 0, 255]);
    expect(() => colorJitterInPlace(img, { hue: 0.7 }, createRng(1))).toThrow(/hue/);
  });
});
