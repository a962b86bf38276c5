import { describe, expect, it } from 'vitest';
import { constantSchedule, cosineSchedule, createLrSchedule } from '../src/index.js';

describe('cosineSchedule (timm CosineLRScheduler, per step)', () => {
  it('warms up linearly, then follows the cosine to minLr and stays there', () => {
    const lr = cosineSchedule({ baseLr: 0.1, totalSteps: 10, warmupSteps: 2, warmupLr: 0.01 });
    expect(lr(0)).toBeCloseTo(0.01, 10);
    expect(lr(1)).toBeCloseTo(0.055, 10); // 0.01 + 1 * 0.09 / 2
    expect(lr(2)).toBeCloseTo(0.0904508497, 9); // 0.05 * (1 + cos(0.2 pi)); the warmup replaced steps 0-1
    expect(lr(5)).toBeCloseTo(0.05, 10);
    expect(lr(9)).toBeCloseTo(0.0024471742, 9); // 0.05 * (1 + cos(0.9 pi))
    expect(lr(10)).toBe(0);
    expect(lr(1000)).toBe(0);
  });

  it('with warmupPrefix the cosine starts after the warmup; minLr is the floor', () => {
    const lr = cosineSchedule({ baseLr: 0.1, totalSteps: 10, warmupSteps: 2, warmupPrefix: true, minLr: 0.001 });
    expect(lr(0)).toBe(0);
    expect(lr(1)).toBeCloseTo(0.05, 10);
    expect(lr(2)).toBeCloseTo(0.1, 10);
    expect(lr(7)).toBeCloseTo(0.0505, 10); // 0.001 + 0.099 * (1 + cos(0.5 pi)) / 2
    expect(lr(12)).toBeCloseTo(0.001, 10);
  });

  it('without warmup starts at baseLr', () => {
    const lr = cosineSchedule({ baseLr: 0.2, totalSteps: 4 });
    expect([0, 1, 2, 3, 4].map(lr).map((v) => +v.toFixed(8))).toEqual([0.2, 0.17071068, 0.1, 0.02928932, 0]);
  });

  it('validates its options', () => {
    expect(() => cosineSchedule({ baseLr: 0.1, totalSteps: 0 })).toThrow(/totalSteps/);
    expect(() => cosineSchedule({ baseLr: 0.1, totalSteps: 5, warmupSteps: -1 })).toThrow(/warmupSteps/);
  });

  it('createLrSchedule converts epochs to steps', () => {
    const lr = createLrSchedule({ name: 'cosine', warmup_epochs: 1, warmup_lr: 0, min_lr: 0 }, { baseLr: 0.1, epochs: 4, stepsPerEpoch: 5 });
    expect(lr(0)).toBe(0);
    expect(lr(4)).toBeCloseTo(0.08, 10);
    expect(lr(10)).toBeCloseTo(0.05, 10);
    expect(lr(20)).toBe(0);
    expect(createLrSchedule({ name: 'constant', warmup_epochs: 0, warmup_lr: 0, min_lr: 0 }, { baseLr: 0.3, epochs: 1, stepsPerEpoch: 1 })(7)).toBe(0.3);
    expect(constantSchedule(0.5)(100)).toBe(0.5);
  });
});
