/** Learning rate of optimizer update `step` (0-based, counted over the whole run). */
export type LrSchedule = (step: number) => number;

export interface CosineScheduleOptions {
  /** Peak learning rate (after warmup). */
  baseLr: number;
  /** Length of the cosine in steps (timm `t_initial`); after it the rate stays at `minLr`. */
  totalSteps: number;
  /** Linear warmup steps (timm `warmup_t`). Default 0. */
  warmupSteps?: number;
  /** Rate at step 0 of the warmup (timm `warmup_lr_init`). Default 0. */
  warmupLr?: number;
  /** Floor of the cosine (timm `lr_min`). Default 0. */
  minLr?: number;
  /**
   * timm `warmup_prefix`: when false (timm's default) warmup replaces the first `warmupSteps` of the
   * cosine; when true the cosine starts after the warmup.
   */
  warmupPrefix?: boolean;
}

/**
 * timm's `CosineLRScheduler` (one cycle, per-step updates):
 *
 *     step < warmup:  lr = warmupLr + step * (baseLr - warmupLr) / warmupSteps
 *     otherwise:      t = warmupPrefix ? step - warmupSteps : step
 *                     lr = t < totalSteps ? minLr + (baseLr - minLr) * (1 + cos(pi * t / totalSteps)) / 2 : minLr
 */
export function cosineSchedule(opts: CosineScheduleOptions): LrSchedule {
  const { baseLr, totalSteps, warmupSteps = 0, warmupLr = 0, minLr = 0, warmupPrefix = false } = opts;
  if (!(totalSteps > 0)) throw new Error(`cosineSchedule: totalSteps must be > 0, got ${totalSteps}`);
  if (!(warmupSteps >= 0)) throw new Error(`cosineSchedule: warmupSteps must be >= 0, got ${warmupSteps}`);
  return (step) => {
    if (step < warmupSteps) return warmupLr + (step * (baseLr - warmupLr)) / warmupSteps;
    const t = warmupPrefix ? step - warmupSteps : step;
    if (t >= totalSteps) return minLr;
    return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos((Math.PI * t) / totalSteps));
  };
}

/** A constant rate. */
export const constantSchedule =
  (lr: number): LrSchedule =>
  () =>
    lr;

/**
 * HRNet-Semantic-Segmentation's poly rate (`utils.adjust_learning_rate`, set before every iteration):
 * lr = baseLr · (1 − step / totalSteps)^power; 0 from `totalSteps` on.
 */
export function polySchedule({ baseLr, totalSteps, power = 0.9 }: { baseLr: number; totalSteps: number; power?: number }): LrSchedule {
  if (!(totalSteps > 0)) throw new Error(`polySchedule: totalSteps must be > 0, got ${totalSteps}`);
  return (step) => (step >= totalSteps ? 0 : baseLr * (1 - step / totalSteps) ** power);
}

/** The main (post-warmup) shape of an {@link epochSchedule}. */
export type ScheduleName = 'cosine' | 'linear' | 'step' | 'multistep' | 'constant';

export interface EpochScheduleOptions {
  name: ScheduleName;
  /** Peak rate, reached at the end of the warmup. */
  baseLr: number;
  /** Length of the run in epochs. */
  epochs: number;
  /** Optimizer updates per epoch. */
  stepsPerEpoch: number;
  /** Linear warmup length in epochs (fractions allowed). Default 0. */
  warmupEpochs?: number;
  /** Rate at the start of the warmup (timm `warmup_lr`, MindSpore `lr_init`). Default 0. */
  warmupLr?: number;
  /** Floor of cosine / end of linear (timm `min_lr`, MindSpore `lr_end`, MindCV `min_lr`). Default 0. */
  minLr?: number;
  /**
   * Whether the decay starts after the warmup (MindSpore `get_linear_lr`, MindCV `warmup_cosine_decay`)
   * or the warmup replaces the first epochs of it (timm's default). Default false.
   */
  warmupPrefix?: boolean;
  /**
   * Length of the cosine / linear decay in epochs (MindCV `decay_epochs`). Default: the epochs left
   * after the warmup with `warmupPrefix`, else all epochs (timm `t_initial`).
   */
  decayEpochs?: number;
  /** step: multiply by `gamma` every `stepSize` epochs (timm `decay_epochs`/`decay_rate`). */
  stepSize?: number;
  /** step / multistep factor. Default 0.1. */
  gamma?: number;
  /** multistep: epochs at which the rate is multiplied by `gamma` (torch `MultiStepLR`). */
  milestones?: number[];
  /**
   * true (default): the rate changes every update, with the epoch counted fractionally
   * (timm `sched_on_updates`, MindCV `lr_epoch_stair: False`, MindSpore's per-step lists);
   * false: it is constant within an epoch (timm's default `t_in_epochs`, torch schedulers stepped per epoch).
   */
  perStep?: boolean;
}

/** A schedule that also carries the options it was built from (stored in checkpoints). */
export type DescribedSchedule = LrSchedule & { readonly spec: EpochScheduleOptions };

/**
 * The recipes' schedules on one time axis, epochs (fractional when `perStep`), mapped from the update
 * index. Warmup: `warmupLr + t * (baseLr - warmupLr) / warmupEpochs` for t < warmupEpochs. Then, with
 * `u = warmupPrefix ? t - warmupEpochs : t` and `D` = decayEpochs:
 *
 * - `cosine`:    minLr + (baseLr - minLr) * (1 + cos(pi * u / D)) / 2, minLr after D (timm `CosineLRScheduler`)
 * - `linear`:    baseLr - (baseLr - minLr) * u / D, minLr after D (MindSpore HRNet_cls `get_linear_lr`)
 * - `step`:      baseLr * gamma ^ floor(u / stepSize) (timm `StepLRScheduler`, torch `StepLR`)
 * - `multistep`: baseLr * gamma ^ (number of milestones <= u) (torch `MultiStepLR`)
 * - `constant`:  baseLr
 */
export function epochSchedule(opts: EpochScheduleOptions): DescribedSchedule {
  const { name, baseLr, epochs, stepsPerEpoch, warmupEpochs = 0, warmupLr = 0, minLr = 0, warmupPrefix = false, gamma = 0.1, perStep = true } = opts;
  if (!(stepsPerEpoch > 0)) throw new Error(`epochSchedule: stepsPerEpoch must be > 0, got ${stepsPerEpoch}`);
  if (!(epochs > 0)) throw new Error(`epochSchedule: epochs must be > 0, got ${epochs}`);
  if (!(warmupEpochs >= 0)) throw new Error(`epochSchedule: warmupEpochs must be >= 0, got ${warmupEpochs}`);
  const decay = opts.decayEpochs ?? (warmupPrefix ? epochs - warmupEpochs : epochs);
  if ((name === 'cosine' || name === 'linear') && !(decay > 0)) throw new Error(`epochSchedule: the ${name} decay must last > 0 epochs, got ${decay}`);
  const stepSize = opts.stepSize ?? 0;
  if (name === 'step' && !(stepSize > 0)) throw new Error('epochSchedule: step needs stepSize > 0');
  const milestones = [...(opts.milestones ?? [])].sort((a, b) => a - b);
  if (name === 'multistep' && milestones.length === 0) throw new Error('epochSchedule: multistep needs milestones');
  const fn = (step: number): number => {
    const t = perStep ? step / stepsPerEpoch : Math.floor(step / stepsPerEpoch);
    if (t < warmupEpochs) return warmupLr + (t * (baseLr - warmupLr)) / warmupEpochs;
    const u = warmupPrefix ? t - warmupEpochs : t;
    switch (name) {
      case 'cosine':
        return u >= decay ? minLr : minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos((Math.PI * u) / decay));
      case 'linear':
        return u >= decay ? minLr : baseLr - ((baseLr - minLr) * u) / decay;
      case 'step':
        return baseLr * gamma ** Math.floor(u / stepSize);
      case 'multistep':
        return baseLr * gamma ** milestones.filter((m) => m <= u).length;
      default:
        return baseLr;
    }
  };
  return Object.assign(fn, { spec: { ...opts } });
}
