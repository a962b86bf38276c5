/**
 * Loss scaling: the loss is multiplied by `scale` before the gradients are taken and the gradients are
 * divided by it before the update, so small float16 gradients do not underflow.
 *
 * TensorFlow.js has no float16 compute on its CPU backends (cpu, wasm) — every op runs in float32 — so
 * here loss scaling is only the control logic (scale, unscale, skip the update on inf/NaN gradients,
 * back off, grow); it changes no precision. With a power-of-two scale in float32 it is exact, i.e. it
 * gives the same numbers as no scaling unless something overflows.
 */
export interface LossScaler {
  /** Current scale. */
  readonly scale: number;
  /** Whether gradients are checked for inf/NaN (and the update skipped when found). */
  readonly checksOverflow: boolean;
  /** Called after each step with whether the gradients overflowed. */
  update(overflow: boolean): void;
  getState(): LossScalerState;
  setState(state: LossScalerState): void;
}

export type LossScalerState = Record<string, number | boolean | string>;

export interface StaticLossScalerOptions {
  /** Default 1024 (the MindSpore HRNet_cls recipe's `loss_scale`). */
  scale?: number;
  /**
   * Skip the update when the gradients are not finite (MindSpore `FixedLossScaleManager(drop_overflow_update=True)`).
   * Default false: the update is applied anyway, as the recipe's `drop_overflow_update=False`.
   */
  dropOverflowUpdate?: boolean;
}

/** A fixed scale (MindSpore `FixedLossScaleManager`). */
export class StaticLossScaler implements LossScaler {
  readonly scale: number;
  readonly checksOverflow: boolean;
  /** Updates skipped because of overflow. */
  skipped = 0;

  constructor(opts: StaticLossScalerOptions = {}) {
    this.scale = opts.scale ?? 1024;
    if (!(this.scale > 0 && Number.isFinite(this.scale))) throw new Error(`StaticLossScaler: scale must be a positive number, got ${opts.scale}`);
    this.checksOverflow = opts.dropOverflowUpdate ?? false;
  }

  update(overflow: boolean): void {
    if (overflow) this.skipped++;
  }

  getState(): LossScalerState {
    return { type: 'static', scale: this.scale, skipped: this.skipped };
  }

  setState(state: LossScalerState): void {
    if (state.type !== 'static') throw new Error(`loss scaler state is '${String(state.type)}', expected 'static'`);
    this.skipped = Number(state.skipped ?? 0);
  }
}

export interface DynamicLossScalerOptions {
  /** Default 2^16 (torch `GradScaler`; MindSpore's `DynamicLossScaleManager` starts at 2^24). */
  initScale?: number;
  /** Default 2. */
  growthFactor?: number;
  /** Default 0.5. */
  backoffFactor?: number;
  /** Consecutive finite steps before the scale grows. Default 2000 (torch and MindSpore). */
  growthInterval?: number;
  /** The scale never goes below this. Default 1. */
  minScale?: number;
  /** Nor above this. Default 2^24. */
  maxScale?: number;
}

/**
 * torch `GradScaler` / MindSpore `DynamicLossScaleManager`: on inf/NaN gradients the update is skipped
 * and the scale multiplied by `backoffFactor`; after `growthInterval` finite steps in a row it is
 * multiplied by `growthFactor`.
 */
export class DynamicLossScaler implements LossScaler {
  readonly checksOverflow = true;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  readonly minScale: number;
  readonly maxScale: number;
  private scale_: number;
  /** Finite steps since the last change. */
  goodSteps = 0;
  /** Updates skipped because of overflow. */
  skipped = 0;

  constructor(opts: DynamicLossScalerOptions = {}) {
    this.scale_ = opts.initScale ?? 2 ** 16;
    this.growthFactor = opts.growthFactor ?? 2;
    this.backoffFactor = opts.backoffFactor ?? 0.5;
    this.growthInterval = opts.growthInterval ?? 2000;
    this.minScale = opts.minScale ?? 1;
    this.maxScale = opts.maxScale ?? 2 ** 24;
    if (!(this.scale_ > 0)) throw new Error(`DynamicLossScaler: initScale must be > 0, got ${opts.initScale}`);
    if (!(this.growthFactor > 1)) throw new Error(`DynamicLossScaler: growthFactor must be > 1, got ${opts.growthFactor}`);
    if (!(this.backoffFactor > 0 && this.backoffFactor < 1)) throw new Error(`DynamicLossScaler: backoffFactor must be in (0, 1), got ${opts.backoffFactor}`);
    if (!(Number.isInteger(this.growthInterval) && this.growthInterval >= 1)) throw new Error(`DynamicLossScaler: growthInterval must be a positive integer, got ${opts.growthInterval}`);
  }

  get scale(): number {
    return this.scale_;
  }

  update(overflow: boolean): void {
    if (overflow) {
      this.skipped++;
      this.goodSteps = 0;
      this.scale_ = Math.max(this.minScale, this.scale_ * this.backoffFactor);
      return;
    }
    this.goodSteps++;
    if (this.goodSteps >= this.growthInterval) {
      this.goodSteps = 0;
      this.scale_ = Math.min(this.maxScale, this.scale_ * this.growthFactor);
    }
  }

  getState(): LossScalerState {
    return { type: 'dynamic', scale: this.scale_, goodSteps: this.goodSteps, skipped: this.skipped };
  }

  setState(state: LossScalerState): void {
    if (state.type !== 'dynamic') throw new Error(`loss scaler state is '${String(state.type)}', expected 'dynamic'`);
    this.scale_ = Number(state.scale);
    this.goodSteps = Number(state.goodSteps);
    this.skipped = Number(state.skipped ?? 0);
  }
}
