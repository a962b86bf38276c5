import type * as tf from '@tensorflow/tfjs';
import { Adam, AdamW } from './adam.js';
import type { LossScaleConfig, OptimizerConfigInput, SchedulerConfigInput } from './config.js';
import { DynamicLossScaler, StaticLossScaler, type LossScaler } from './loss-scale.js';
import { epochSchedule, type DescribedSchedule } from './lr-schedule.js';
import { decayFilterByName } from './optimizer-base.js';
import { RMSProp } from './rmsprop.js';
import { SGD } from './sgd.js';

/** The optimizer of an `optimizer:` config section. */
export function createOptimizer(cfg: OptimizerConfigInput): tf.Optimizer {
  const common = { learningRate: cfg.lr, weightDecay: cfg.weight_decay ?? 1e-4, decayFilter: decayFilterByName(cfg.weight_decay_filter ?? 'rank2') };
  switch (cfg.name) {
    case 'rmsprop':
      return new RMSProp({ ...common, momentum: cfg.momentum ?? 0.9, decay: cfg.decay ?? 0.9, epsilon: cfg.eps ?? 1e-10 });
    case 'adam':
    case 'adamw': {
      const [beta1, beta2] = cfg.betas ?? [0.9, 0.999];
      const opts = { ...common, beta1, beta2, epsilon: cfg.eps ?? 1e-8 };
      return cfg.name === 'adam' ? new Adam(opts) : new AdamW(opts);
    }
    default:
      return new SGD({ ...common, momentum: cfg.momentum ?? 0.9, nesterov: cfg.name !== 'momentum' });
  }
}

/** The per-step schedule of a `scheduler:` config section for a run of `epochs` x `stepsPerEpoch`. */
export function createLrSchedule(cfg: SchedulerConfigInput, { baseLr, epochs, stepsPerEpoch }: { baseLr: number; epochs: number; stepsPerEpoch: number }): DescribedSchedule {
  return epochSchedule({
    name: cfg.name ?? 'cosine',
    baseLr,
    epochs,
    stepsPerEpoch,
    warmupEpochs: cfg.warmup_epochs ?? 0,
    warmupLr: cfg.warmup_lr ?? 0,
    minLr: cfg.min_lr ?? 0,
    warmupPrefix: cfg.warmup_prefix ?? false,
    decayEpochs: cfg.decay_epochs,
    stepSize: cfg.step_size,
    gamma: cfg.gamma ?? 0.1,
    milestones: cfg.milestones,
    perStep: cfg.per_step ?? true,
  });
}

/** The loss scaler of a `loss_scale:` section; `amp` (the `--amp` flag) forces dynamic scaling. */
export function createLossScaler(cfg: Partial<LossScaleConfig> = {}, { amp = false }: { amp?: boolean } = {}): LossScaler | undefined {
  const type = amp ? 'dynamic' : (cfg.type ?? 'none');
  if (type === 'static') return new StaticLossScaler({ scale: cfg.scale, dropOverflowUpdate: cfg.drop_overflow_update });
  if (type === 'dynamic') return new DynamicLossScaler({ initScale: cfg.type === 'dynamic' ? cfg.scale : undefined, growthInterval: cfg.growth_interval });
  return undefined;
}
