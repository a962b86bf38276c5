import { describe, expect, it } from 'vitest';
import { argsortDescStable, linspace, npMean, npSum } from '../src/numpy-compat.js';
import { COCO_KEYPOINT_SIGMAS } from '@hrnet/core';
import { computeOksMatrix } from '../src/index.js';

describe('numpy-compatible helpers', () => {
  it('sums pairwise like np.sum (values from NumPy 2.4)', () => {
    expect(npSum(Array(10).fill(0.1))).toBe(1.0); // a plain loop gives 0.9999999999999999
    expect(npSum(Array(17).fill(0.1))).toBe(1.7000000000000002);
    const harmonic = Array.from({ length: 1000 }, (_, i) => 1 / (i + 1));
    expect(npSum(harmonic)).toBe(7.485470860550345); // plain loop: ...343
    expect(npMean(harmonic)).toBe(0.007485470860550345);
  });

  it('builds thresholds like np.linspace', () => {
    expect(linspace(0.5, 0.95, 10)).toEqual([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95]);
    const rec = linspace(0, 1, 101);
    expect([rec[7], rec[29], rec[57], rec[100]]).toEqual([0.07, 0.29, 0.5700000000000001, 1]);
  });

  it('sorts by descending score and keeps ties in input order (mergesort)', () => {
    expect(Array.from(argsortDescStable([0.5, 0.9, 0.5, 0.9, 0.1, 0.5]))).toEqual([1, 3, 0, 2, 5, 4]);
    expect(Array.from(argsortDescStable([0.5, 0.9, 0.5, 0.9], 3))).toEqual([1, 3, 0]);
    const many = Array.from({ length: 1000 }, (_, i) => Math.floor((i * 7919) % 13) / 13);
    const order = Array.from(argsortDescStable(many));
    const ref = many.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, i]) => i);
    expect(order).toEqual(ref);
  });
});

describe('computeOksMatrix', () => {
  const gtKps = Array.from({ length: 17 }, (_, k) => [100 + k, 200 + 2 * k, 2]).flat();

  it('is 1 for a perfect detection and decays with distance by each joint sigma', () => {
    const gt = { keypoints: gtKps, bbox: [100, 200, 20, 40], area: 800 };
    const shifted = gtKps.map((v, i) => (i === 0 ? v + 3 : v)); // nose moved 3 px
    const oks = computeOksMatrix([{ keypoints: gtKps }, { keypoints: shifted }], [gt]);
    expect(oks[0]).toBe(1);
    const k = 2 * COCO_KEYPOINT_SIGMAS[0]!;
    expect(oks[1]).toBeCloseTo((16 + Math.exp(-9 / (k * k) / 800 / 2)) / 17, 15);
  });

  it('averages only over labelled joints', () => {
    const partly = gtKps.map((v, i) => (i % 3 === 2 && i > 6 ? 0 : v)); // joints 0..2 labelled
    const det = gtKps.map((v, i) => (i >= 9 && i % 3 !== 2 ? v + 50 : v)); // wrong only where unlabelled
    expect(computeOksMatrix([{ keypoints: det }], [{ keypoints: partly, bbox: [0, 0, 1, 1], area: 100 }])[0]).toBe(1);
  });

  it('uses the box enlarged by its size on each side when the gt has no labelled joint', () => {
    const none = { keypoints: Array(51).fill(0), bbox: [100, 100, 50, 100], area: 2000 };
    // region is x in [50, 200], y in [0, 300]
    const inside = Array.from({ length: 17 }, () => [60, 250, 1]).flat();
    const outside = Array.from({ length: 17 }, (_, k) => (k === 0 ? [40, 310, 1] : [60, 250, 1])).flat();
    const oks = computeOksMatrix([{ keypoints: inside }, { keypoints: outside }], [none]);
    expect(oks[0]).toBe(1);
    const k = 2 * COCO_KEYPOINT_SIGMAS[0]!;
    expect(oks[1]).toBeCloseTo((16 + Math.exp(-(100 + 100) / (k * k) / 2000 / 2)) / 17, 15);
  });

  it('lays the matrix out row-major, detections by gts', () => {
    const g1 = { keypoints: gtKps, bbox: [0, 0, 1, 1], area: 1000 };
    const g2 = { keypoints: gtKps.map((v, i) => (i % 3 === 2 ? v : v + 1000)), bbox: [0, 0, 1, 1], area: 1000 };
    const m = computeOksMatrix([{ keypoints: gtKps }, { keypoints: g2.keypoints }, { keypoints: gtKps }], [g1, g2]);
    expect(Array.from(m).map((v) => Math.round(v))).toEqual([1, 0, 0, 1, 1, 0]);
  });
});
