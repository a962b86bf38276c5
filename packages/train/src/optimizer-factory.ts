import type * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig, SchedulerConfig } from './config.js';
import { constantSchedule, cosineSchedule, type LrSchedule } from './lr-schedule.js';
import { SGD } from './sgd.js';

/** The optimizer of an `optimizer:` config section. */
export function createOptimizer(cfg: OptimizerConfig): tf.Optimizer {
  return new SGD({
    learningRate: cfg.lr,
    momentum: cfg.momentum,
    nesterov: cfg.name !== 'momentum',
    weightDecay: cfg.weight_decay,
  });
}

/** The per-step schedule of a `scheduler:` config section for a run of `epochs` x `stepsPerEpoch`. */
export function createLrSchedule(cfg: SchedulerConfig, { baseLr, epochs, stepsPerEpoch }: { baseLr: number; epochs: number; stepsPerEpoch: number }): LrSchedule {
  if (cfg.name === 'constant') return constantSchedule(baseLr);
  return cosineSchedule({
    baseLr,
    totalSteps: epochs * stepsPerEpoch,
    warmupSteps: Math.round(cfg.warmup_epochs * stepsPerEpoch),
    warmupLr: cfg.warmup_lr,
    minLr: cfg.min_lr,
  });
}
