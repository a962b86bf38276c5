import { describe, expect, it } from 'vitest';
import {
  centerCropBox,
  createRng,
  evalTransform,
  IMAGENET_MEAN,
  IMAGENET_STD,
  normalizeInto,
  randomCropBox,
  resizeShorterSide,
  trainTransform,
} from '../src/index.js';
import { gradientPng } from './helpers.js';

const norm = (v: number, c: number) => (v / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];

describe('geometry', () => {
  it('resizeShorterSide truncates the long side like torchvision Resize(int)', () => {
    expect(resizeShorterSide(500, 375, 256)).toEqual({ width: 341, height: 256 }); // 341.33
    expect(resizeShorterSide(375, 500, 256)).toEqual({ width: 256, height: 341 });
    expect(resizeShorterSide(300, 300, 73)).toEqual({ width: 73, height: 73 });
  });

  it('centerCropBox rounds half to even like torchvision CenterCrop', () => {
    expect(centerCropBox(256, 256, 224, 224)).toEqual({ left: 16, top: 16, width: 224, height: 224 });
    expect(centerCropBox(5, 4, 2, 2)).toEqual({ left: 2, top: 1, width: 2, height: 2 }); // round(1.5) = 2
    expect(centerCropBox(7, 4, 2, 2)).toEqual({ left: 2, top: 1, width: 2, height: 2 }); // round(2.5) = 2
    expect(() => centerCropBox(10, 10, 11, 5)).toThrow(/larger than the image/);
  });

  it('randomCropBox stays inside the image and covers every offset', () => {
    const rng = createRng(3);
    const lefts = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const b = randomCropBox(10, 8, 7, 8, rng);
      expect(b.left >= 0 && b.left + b.width <= 10 && b.top === 0).toBe(true);
      lefts.add(b.left);
    }
    expect([...lefts].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe('normalizeInto', () => {
  it('applies (x/255 - mean)/std per channel and mirrors on flip', () => {
    const img = { data: new Uint8Array([0, 128, 255, 10, 20, 30]), width: 2, height: 1 };
    const out = normalizeInto(img, new Float32Array(8), 2);
    expect(out[0]).toBe(0);
    expect(out[2]).toBeCloseTo(norm(0, 0), 5);
    expect(out[3]).toBeCloseTo(norm(128, 1), 5);
    expect(out[4]).toBeCloseTo(norm(255, 2), 5);
    const flipped = normalizeInto(img, new Float32Array(6), 0, { flip: true, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(Array.from(flipped).map((v) => Math.round(v * 255))).toEqual([10, 20, 30, 0, 128, 255]);
  });
});

describe('evalTransform', () => {
  it('resizes the shorter side to floor(size/cropPct) and center-crops', async () => {
    // 48x32 -> shorter side floor(16/0.5)=32 (no-op) -> center crop 16: columns 16..31, rows 8..23
    const png = await gradientPng(48, 32);
    const t = evalTransform({ size: 16, cropPct: 0.5, interpolation: 'nearest' });
    expect(t.outputShape).toEqual([16, 16, 3]);
    const out = await t.apply(png, createRng(0));
    expect(out.length).toBe(16 * 16 * 3);
    expect(out[0]).toBeCloseTo(norm(16, 0), 4);
    expect(out[1]).toBeCloseTo(norm(8, 1), 4);
    const last = (15 * 16 + 15) * 3;
    expect(out[last]).toBeCloseTo(norm(31, 0), 4);
    expect(out[last + 1]).toBeCloseTo(norm(23, 1), 4);
    // deterministic whatever the rng
    expect(await t.apply(png, createRng(99))).toEqual(out);
  });

  it('validates options', () => {
    expect(() => evalTransform({ size: 0 })).toThrow(/size/);
    expect(() => evalTransform({ size: 8, cropPct: 1.5 })).toThrow(/cropPct/);
  });
});

describe('trainTransform', () => {
  it('is a seeded random crop + horizontal flip of the resized image', async () => {
    const png = await gradientPng(32, 32);
    const t = trainTransform({ size: 8, scaleSize: 32, interpolation: 'nearest', mean: [0, 0, 0], std: [1, 1, 1] });
    const seen = new Set<string>();
    let flips = 0;
    for (let s = 0; s < 24; s++) {
      const a = await t.apply(png, createRng(s));
      expect(await t.apply(png, createRng(s))).toEqual(a); // same seed, same crop
      const px = (x: number, y: number) => Math.round(a[(y * 8 + x) * 3] * 255);
      const py = (x: number, y: number) => Math.round(a[(y * 8 + x) * 3 + 1] * 255);
      // a crop of the gradient: x steps by +-1 along a row, y by +1 down a column
      const dx = px(1, 0) - px(0, 0);
      expect(Math.abs(dx)).toBe(1);
      expect(py(0, 1) - py(0, 0)).toBe(1);
      if (dx < 0) flips++;
      seen.add(`${Math.min(px(0, 0), px(7, 0))},${py(0, 0)}`);
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(flips).toBeGreaterThan(3);
    expect(flips).toBeLessThan(21);
  });

  it('validates options', () => {
    expect(() => trainTransform({ size: 10, scaleSize: 8 })).toThrow(/scaleSize/);
  });
});
