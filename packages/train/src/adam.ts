import * as tf from '@tensorflow/tfjs';
import { HrnetOptimizer, type DecayFilter } from './optimizer-base.js';

export interface AdamOptions {
  learningRate: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Added to sqrt(v̂) (outside the root, as torch). Default 1e-8. */
  epsilon?: number;
  /** Adam: coupled L2 (added to the gradient). AdamW: decoupled decay `p -= lr * wd * p`. Default 0. */
  weightDecay?: number;
  /** Default: rank >= 2 (timm / MindCV `filter_bias_and_bn`). */
  decayFilter?: DecayFilter;
}

/**
 * `torch.optim.Adam` (timm `adam`): coupled L2 weight decay, bias-corrected moments,
 *
 *     g = grad + wd * p                               (decayed variables only)
 *     m = β1 m + (1 - β1) g;   v = β2 v + (1 - β2) g²  (both start at 0)
 *     p = p - lr * (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + ε)
 *
 * MindSpore's `nn.Adam` folds the bias corrections into the rate (`lr·sqrt(1-β2^t)/(1-β1^t)`) and adds ε
 * to `sqrt(v)` uncorrected, i.e. an effective ε of `ε·sqrt(1-β2^t)`; with ε = 1e-8 the two agree to ~1e-7
 * relative except when v is tiny.
 */
export class Adam extends HrnetOptimizer {
  static get className(): string {
    return 'HrnetAdam';
  }

  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Decoupled weight decay (AdamW). */
  protected readonly decoupled: boolean = false;

  constructor(opts: AdamOptions) {
    super(opts);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = opts;
    for (const [k, v] of Object.entries({ beta1, beta2 })) {
      if (!(v >= 0 && v < 1)) throw new Error(`${this.getClassName()}: ${k} must be in [0, 1), got ${v}`);
    }
    if (!(epsilon >= 0)) throw new Error(`${this.getClassName()}: epsilon must be >= 0, got ${epsilon}`);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  protected update(variable: tf.Variable, grad: tf.Tensor, name: string, step: number): void {
    let g = grad;
    const decays = this.decays(variable);
    let p: tf.Tensor = variable;
    if (decays && this.decoupled) p = tf.mul(variable, 1 - this.learningRate * this.weightDecay);
    else if (decays) g = tf.add(g, tf.mul(variable, this.weightDecay));
    const prevM = this.getSlot('exp_avg', name);
    const prevV = this.getSlot('exp_avg_sq', name);
    const m = prevM ? tf.add(tf.mul(prevM, this.beta1), tf.mul(g, 1 - this.beta1)) : tf.mul(g, 1 - this.beta1);
    const v = prevV ? tf.add(tf.mul(prevV, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)) : tf.mul(tf.square(g), 1 - this.beta2);
    this.setSlot('exp_avg', name, m);
    this.setSlot('exp_avg_sq', name, v);
    const bc1 = 1 - this.beta1 ** step;
    const bc2 = 1 - this.beta2 ** step;
    // torch: denom = sqrt(v) / sqrt(bc2) + eps; p -= (lr / bc1) * m / denom
    const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.epsilon);
    variable.assign(tf.sub(p, tf.mul(tf.div(m, denom), this.learningRate / bc1)));
  }

  protected hyperParameters() {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }

  protected slotNames(): string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }
}

/**
 * `torch.optim.AdamW` (timm `adamw`, MindCV `adamw`): Adam with decoupled weight decay applied to the
 * weights before the Adam step, scaled by the current learning rate:
 *
 *     p = p * (1 - lr * wd)                           (decayed variables only)
 *     then the Adam update without L2 in the gradient
 *
 * MindCV's AdamW computes `p - lr * (update + wd * p)` from the same `p`, which is the same number.
 * Default weight decay 0.01 as torch.
 */
export class AdamW extends Adam {
  static override get className(): string {
    return 'HrnetAdamW';
  }

  protected override readonly decoupled = true;

  constructor(opts: AdamOptions) {
    super({ weightDecay: 0.01, ...opts });
  }
}
