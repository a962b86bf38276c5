import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRng, cutmixBoxAndLam, mixBatchInPlace, sampleBeta, sampleMixParams } from '../../src/index.js';
import { replayRng, type Draw } from './replay-rng.js';

interface MixCase { kind: 'mixup' | 'cutmix'; drawn: number; lam: number; box: { left: number; top: number; width: number; height: number } | null; draws: Draw[]; out: number[]; targets: number[] }
const fix = JSON.parse(readFileSync(new URL('../fixtures/aug-fixtures.json', import.meta.url), 'utf8')).mixup as {
  shape: [number, number, number, number]; images: number[]; labels: number[]; numClasses: number; cases: MixCase[];
};
const [, h, w] = fix.shape;

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe("mixup / cutmix against timm's Mixup (batch mode)", () => {
  for (const c of fix.cases) {
    it(`${c.kind} λ=${c.lam.toFixed(4)}: box and corrected λ from timm's draws, mixed images and soft targets`, () => {
      let params: { lam: number; box?: { left: number; top: number; width: number; height: number } };
      if (c.kind === 'cutmix') {
        const rng = replayRng(c.draws);
        params = cutmixBoxAndLam(h, w, c.drawn, rng);
        expect(rng.remaining()).toBe(0);
        expect(params.box).toEqual(c.box);
        expect(params.lam).toBeCloseTo(c.lam, 12);
      } else {
        params = { lam: c.lam };
      }
      const images = Float32Array.from(fix.images);
      const targets = mixBatchInPlace(images, fix.shape, Int32Array.from(fix.labels), fix.numClasses, params);
      // float32 products (timm multiplies in float32; we in float64 then round): within 1 ulp-ish of the values.
      expectClose(images, c.out, 1e-6);
      expectClose(targets, c.targets, 1e-7);
    });
  }

  it('λ = 1 leaves the batch alone and gives one-hot targets; an odd batch keeps its middle image; bad labels are refused', () => {
    const images = Float32Array.from(fix.images);
    const t = mixBatchInPlace(images, fix.shape, Int32Array.from(fix.labels), fix.numClasses, { lam: 1 });
    expect(Array.from(images)).toEqual(Array.from(Float32Array.from(fix.images)));
    expect(Array.from(t.slice(0, fix.numClasses))).toEqual([1, 0, 0, 0, 0]);
    const odd = Float32Array.from({ length: 3 * 12 }, (_, i) => Math.floor(i / 12));
    const oddTargets = mixBatchInPlace(odd, [3, 2, 2, 3], Int32Array.from([0, 1, 2]), 3, { lam: 0.25 });
    expect(Array.from(odd.slice(12, 24))).toEqual(new Array(12).fill(1));
    expect(Array.from(odd.slice(0, 12))).toEqual(new Array(12).fill(1.5));
    expect(Array.from(oddTargets)).toEqual([0.25, 0, 0.75, 0, 1, 0, 0.75, 0, 0.25]);
    expect(() => mixBatchInPlace(new Float32Array(2 * 12), [2, 2, 2, 3], Int32Array.from([0, 7]), 5, { lam: 0.5 })).toThrow(/label out of/);
  });

  it('sampleBeta has the Beta(α, α) mean and variance (α = 0.8, 0.2, 1)', () => {
    const rng = createRng(3);
    for (const a of [0.8, 0.2, 1]) {
      const m = 20000;
      let s = 0;
      let s2 = 0;
      let lo = 1;
      let hi = 0;
      for (let i = 0; i < m; i++) {
        const x = sampleBeta(a, a, rng);
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
        s += x;
        s2 += x * x;
      }
      expect(lo >= 0 && hi <= 1).toBe(true);
      const mean = s / m;
      const variance = s2 / m - mean * mean;
      expect(mean).toBeCloseTo(0.5, 1.5);
      expect(Math.abs(variance - 1 / (4 * (2 * a + 1)))).toBeLessThan(0.006);
    }
  });

  it("sampleMixParams follows timm's _params_per_batch: prob gate, switch between mixup and cutmix", () => {
    const rng = createRng(5);
    expect(sampleMixParams({ mixupAlpha: 0.8, prob: 0 }, 8, 8, rng)).toEqual({ lam: 1 });
    let cut = 0;
    for (let i = 0; i < 400; i++) {
      const p = sampleMixParams({ mixupAlpha: 0.8, cutmixAlpha: 1, switchProb: 0.25 }, 8, 8, rng);
      if (p.box) cut++;
      expect(p.lam >= 0 && p.lam <= 1).toBe(true);
    }
    expect(cut / 400).toBeGreaterThan(0.17);
    expect(cut / 400).toBeLessThan(0.33);
    expect(sampleMixParams({ cutmixAlpha: 1 }, 8, 8, rng).box).toBeDefined();
    expect(() => sampleMixParams({ mixupAlpha: 1, prob: 2 }, 8, 8, rng)).toThrow(/prob/);
  });
});
