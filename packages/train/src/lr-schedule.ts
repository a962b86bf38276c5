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
