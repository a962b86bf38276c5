import { COCO_FLIP_INDEX, normalizeImage } from '@hrnet/core';
import { describe, expect, it } from 'vitest';
import {
  affineMatrix,
  createRng,
  drawAffineParams,
  flipImageHorizontal,
  flipJoints,
  invertAffine,
  shuffledIndices,
} from '../src/index.js';

describe('random affine draw', () => {
  it('follows the reference ranges: aug_scale in [0.75, 1.5), |rotation| <= 30, integer shift in [trunc(-40 s), trunc(40 s))', () => {
    const rng = createRng(1);
    let flips = 0;
    for (let i = 0; i < 2000; i++) {
      const p = drawAffineParams(rng, 640, 480);
      expect(p.augScale).toBeGreaterThanOrEqual(0.75);
      expect(p.augScale).toBeLessThan(1.5);
      expect(p.scale).toBeCloseTo((480 / 200) * p.augScale, 12);
      expect(Math.abs(p.rotation)).toBeLessThanOrEqual(30);
      const lim = Math.trunc(40 * p.scale);
      for (const d of p.translate) {
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(-lim);
        expect(d).toBeLessThan(lim);
      }
      expect(p.center).toEqual([320 + p.translate[0], 240 + p.translate[1]]);
      if (p.flip) flips++;
    }
    expect(flips / 2000).toBeGreaterThan(0.45);
    expect(flips / 2000).toBeLessThan(0.55);
  });

  it('is reproducible from the seed; options switch parts off', () => {
    expect(drawAffineParams(createRng(5), 100, 80)).toEqual(drawAffineParams(createRng(5), 100, 80));
    const p = drawAffineParams(createRng(5), 100, 80, { maxRotation: 0, maxTranslate: 0, flipProb: 0, minScale: 1, maxScale: 1, scaleType: 'long' });
    expect(p).toEqual({ center: [50, 40], scale: 0.5, augScale: 1, rotation: 0, translate: [0, 0], flip: false });
    expect(Array.from(shuffledIndices(10, createRng(3))).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('the matrix maps the centre to the middle of the crop and zooms by res / (200 s)', () => {
    const m = affineMatrix({ center: [70, 40], scale: 0.5, rotation: 25 }, 64);
    expect(m[0] * 70 + m[1] * 40 + m[2]).toBeCloseTo(32, 12);
    expect(m[3] * 70 + m[4] * 40 + m[5]).toBeCloseTo(32, 12);
    expect(Math.hypot(m[0], m[3])).toBeCloseTo(64 / 100, 12);
    const inv = invertAffine(m);
    expect(inv[0] * 32 + inv[1] * 32 + inv[2]).toBeCloseTo(70, 12);
  });
});

describe('flip, normalize', () => {
  it('flips images in place and joints with the permutation and x -> R - 1 - x', () => {
    const img = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(flipImageHorizontal(img, 3, 2, 1))).toEqual([3, 2, 1, 6, 5, 4]);
    const joints = new Float64Array(17 * 3);
    for (let j = 0; j < 17; j++) joints.set([j, 100 + j, j % 3], j * 3);
    const f = flipJoints(joints, 1, 17, 32);
    for (let j = 0; j < 17; j++) {
      const s = COCO_FLIP_INDEX[j];
      expect([f[j * 3], f[j * 3 + 1], f[j * 3 + 2]]).toEqual([31 - s, 100 + s, s % 3]);
    }
  });

  it('normalises like torchvision ToTensor + Normalize in float32', () => {
    const out = normalizeImage(Uint8Array.from([0, 128, 255]));
    expect(out[0]).toBe(Math.fround(-Math.fround(0.485) / Math.fround(0.229)));
    expect(out[1]).toBe(Math.fround(Math.fround(Math.fround(128 / 255) - Math.fround(0.456)) / Math.fround(0.224)));
    expect(out[2]).toBe(Math.fround(Math.fround(1 - Math.fround(0.406)) / Math.fround(0.225)));
  });
});
