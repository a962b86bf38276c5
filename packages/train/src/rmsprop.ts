import * as tf from '@tensorflow/tfjs';
import { HrnetOptimizer, type DecayFilter } from './optimizer-base.js';

export interface RMSPropOptions {
  learningRate: number;
  /** ρ, the decay of the mean square. MindSpore default 0.9 (the HRNet_cls recipe's value). */
  decay?: number;
  /** β. Default 0 (MindSpore's default; the HRNet_cls recipe uses 0.9). */
  momentum?: number;
  /** ε, added *inside* the square root. Default 1e-10 (MindSpore's default; the recipe uses 1e-3). */
  epsilon?: number;
  /** Initial value of the mean square. Default 1, as MindSpore's `nn.RMSProp` (`init='ones'`). */
  meanSquareInit?: number;
  /** Coupled L2 added to the gradient, as MindSpore's `decay_weight`. Default 0. */
  weightDecay?: number;
  /** Default: rank >= 2. The MindSpore recipe's behaviour is {@link decayMindSpore}. */
  decayFilter?: DecayFilter;
}

/**
 * RMSProp exactly as MindSpore's `nn.RMSProp` (`centered=False`, `ApplyRMSProp`), the optimizer of the
 * MindSpore HRNet_cls recipe (decay 0.9, momentum 0.9, epsilon 1e-3):
 *
 *     g   = grad + weightDecay * p                   (decayed variables only)
 *     s   = ρ s + (1 - ρ) g²                         (s starts at meanSquareInit = 1)
 *     m   = β m + lr * g / sqrt(s + ε)               (m starts at 0)
 *     p   = p - m
 *
 * How it differs from `torch.optim.RMSprop` (`alpha` = ρ): torch divides by `sqrt(s) + ε` (ε outside the
 * root), starts `s` at 0, and keeps the learning rate outside the momentum buffer
 * (`buf = β buf + g / (sqrt(s) + ε); p -= lr * buf`), so a changing learning rate acts on the whole
 * buffer there but only on new gradients here. timm's `RMSpropTF` puts ε inside the root and starts
 * `s` at 1 like this one.
 */
export class RMSProp extends HrnetOptimizer {
  static get className(): string {
    return 'HrnetRMSProp';
  }

  readonly decay: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly meanSquareInit: number;

  constructor(opts: RMSPropOptions) {
    super(opts);
    const { decay = 0.9, momentum = 0, epsilon = 1e-10, meanSquareInit = 1 } = opts;
    if (!(decay >= 0 && decay <= 1)) throw new Error(`RMSProp: decay must be in [0, 1], got ${decay}`);
    if (!(momentum >= 0)) throw new Error(`RMSProp: momentum must be >= 0, got ${momentum}`);
    if (!(epsilon > 0)) throw new Error(`RMSProp: epsilon must be > 0, got ${epsilon}`);
    this.decay = decay;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.meanSquareInit = meanSquareInit;
  }

  protected update(variable: tf.Variable, grad: tf.Tensor, name: string): void {
    let g = grad;
    if (this.decays(variable)) g = tf.add(g, tf.mul(variable, this.weightDecay));
    const prevS = this.getSlot('mean_square', name) ?? tf.fill(variable.shape, this.meanSquareInit);
    const s = tf.add(tf.mul(prevS, this.decay), tf.mul(tf.square(g), 1 - this.decay));
    this.setSlot('mean_square', name, s);
    const step = tf.div(tf.mul(g, this.learningRate), tf.sqrt(tf.add(s, this.epsilon)));
    const prevM = this.getSlot('moment', name);
    const m = prevM ? tf.add(tf.mul(prevM, this.momentum), step) : step;
    this.setSlot('moment', name, m);
    variable.assign(tf.sub(variable, m));
  }

  protected hyperParameters() {
    return { decay: this.decay, momentum: this.momentum, epsilon: this.epsilon, meanSquareInit: this.meanSquareInit, weightDecay: this.weightDecay };
  }

  protected slotNames(): string[] {
    return ['mean_square', 'moment'];
  }
}
