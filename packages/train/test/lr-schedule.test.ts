import { describe, expect, it } from 'vitest';
import { constantSchedule, cosineSchedule, createLrSchedule, epochSchedule, polySchedule } from '../src/index.js';

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

describe('epochSchedule (the recipes)', () => {
  it("linear = MindSpore HRNet_cls get_linear_lr: lr_init -> lr over the warmup, then linear to lr_end", () => {
    // 10 steps/epoch, 6 epochs, warmup 2: i < 20: 1e-4 + (0.01 - 1e-4) * i / 20; else 0.01 - (0.01 - 1e-5) * (i - 20) / 40
    const lr = epochSchedule({ name: 'linear', baseLr: 0.01, epochs: 6, stepsPerEpoch: 10, warmupEpochs: 2, warmupLr: 1e-4, minLr: 1e-5, warmupPrefix: true });
    const ref = (i: number) => (i < 20 ? 1e-4 + ((0.01 - 1e-4) * i) / 20 : 0.01 - ((0.01 - 1e-5) * (i - 20)) / 40);
    for (let i = 0; i < 60; i++) expect(lr(i)).toBeCloseTo(ref(i), 12);
    expect(lr(60)).toBeCloseTo(1e-5, 12);
    expect(lr.spec.name).toBe('linear');
  });

  it('per_step false holds the rate for a whole epoch (timm t_in_epochs)', () => {
    const lr = epochSchedule({ name: 'cosine', baseLr: 0.1, epochs: 4, stepsPerEpoch: 5, warmupEpochs: 1, warmupLr: 0.01, perStep: false });
    expect([0, 4, 5, 9, 10, 14, 15].map((s) => +lr(s).toFixed(8))).toEqual([0.01, 0.01, 0.08535534, 0.08535534, 0.05, 0.05, 0.01464466]);
  });

  it('step and multistep (timm StepLRScheduler / torch MultiStepLR), with warmup', () => {
    const step = epochSchedule({ name: 'step', baseLr: 0.1, epochs: 10, stepsPerEpoch: 2, stepSize: 3, gamma: 0.5, perStep: false });
    expect([0, 5, 6, 11, 12, 19].map(step)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
    const multi = epochSchedule({ name: 'multistep', baseLr: 0.1, epochs: 10, stepsPerEpoch: 2, milestones: [6, 2], gamma: 0.1, warmupEpochs: 1 });
    expect([0, 1, 2, 3, 4, 11, 12].map((s) => +multi(s).toPrecision(8))).toEqual([0, 0.05, 0.1, 0.1, 0.01, 0.01, 0.001]);
  });

  it('MindCV warmup_cosine_decay: warmup then cosine over decay_epochs to min_lr (prefix)', () => {
    const lr = epochSchedule({ name: 'cosine', baseLr: 1e-3, epochs: 300, stepsPerEpoch: 1, warmupEpochs: 20, minLr: 1e-5, warmupPrefix: true, decayEpochs: 280 });
    expect(lr(10)).toBeCloseTo(5e-4, 12);
    expect(lr(20)).toBeCloseTo(1e-3, 12);
    expect(lr(160)).toBeCloseTo(1e-5 + 0.5 * (1e-3 - 1e-5), 12);
    expect(lr(300)).toBeCloseTo(1e-5, 12);
  });

  it('validates its options', () => {
    expect(() => epochSchedule({ name: 'step', baseLr: 0.1, epochs: 2, stepsPerEpoch: 1 })).toThrow(/stepSize/);
    expect(() => epochSchedule({ name: 'multistep', baseLr: 0.1, epochs: 2, stepsPerEpoch: 1 })).toThrow(/milestones/);
    expect(() => epochSchedule({ name: 'linear', baseLr: 0.1, epochs: 2, stepsPerEpoch: 1, warmupEpochs: 2, warmupPrefix: true })).toThrow(/decay/);
  });
});

describe('polySchedule (HRNet-Semantic-Segmentation adjust_learning_rate)', () => {
  it('is baseLr · (1 − step/total)^0.9, 0 after the last step', () => {
    const s = polySchedule({ baseLr: 0.01, totalSteps: 100 });
    expect(s(0)).toBe(0.01);
    expect(s(50)).toBeCloseTo(0.01 * 0.5 ** 0.9, 12);
    expect(s(99)).toBeCloseTo(0.01 * 0.01 ** 0.9, 12);
    expect([s(100), s(150)]).toEqual([0, 0]);
    expect(polySchedule({ baseLr: 1, totalSteps: 4, power: 1 })(1)).toBe(0.75);
    expect(() => polySchedule({ baseLr: 1, totalSteps: 0 })).toThrow('totalSteps must be > 0');
  });
});
