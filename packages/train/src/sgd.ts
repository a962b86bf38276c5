import * as tf from '@tensorflow/tfjs';
import { HrnetOptimizer, type DecayFilter } from './optimizer-base.js';

export interface SGDOptions {
  learningRate: number;
  /** Default 0 (plain SGD). */
  momentum?: number;
  /** Default 0. */
  dampening?: number;
  /** Nesterov momentum (timm's `sgd`/`nesterov`, torch `nesterov=True`). Default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (coupled, as torch). Default 0. */
  weightDecay?: number;
  /**
   * Which variables get weight decay. Default: rank >= 2, i.e. not biases nor norm scales/shifts —
   * timm's `param_groups_weight_decay` (`filter_bias_and_bn=True`).
   */
  decayFilter?: DecayFilter;
}

/**
 * Stochastic gradient descent with momentum, exactly `torch.optim.SGD` (which timm uses for `sgd`,
 * `nesterov` and `momentum`):
 *
 *     g = grad + weightDecay * p                     (decayed variables only)
 *     buf = g                                        (first step)
 *     buf = momentum * buf + (1 - dampening) * g     (later steps)
 *     g = nesterov ? g + momentum * buf : buf
 *     p = p - lr * g
 *
 * Unlike `tf.train.momentum`, the learning rate can change every step ({@link setLearningRate}),
 * and momentum buffers are keyed by variable name, not by position.
 */
export class SGD extends HrnetOptimizer {
  static get className(): string {
    return 'HrnetSGD';
  }

  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(opts: SGDOptions) {
    super(opts);
    const { momentum = 0, dampening = 0, nesterov = false } = opts;
    if (!(momentum >= 0)) throw new Error(`SGD: momentum must be >= 0, got ${momentum}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) throw new Error('SGD: Nesterov momentum requires momentum > 0 and zero dampening');
    this.momentum = momentum;
    this.dampening = dampening;
    this.nesterov = nesterov;
  }

  protected update(variable: tf.Variable, grad: tf.Tensor, name: string): void {
    let g = grad;
    if (this.decays(variable)) g = tf.add(g, tf.mul(variable, this.weightDecay));
    if (this.momentum !== 0) {
      let buf = this.getSlot('momentum', name);
      if (!buf) buf = this.setSlot('momentum', name, g);
      else buf.assign(tf.add(tf.mul(buf, this.momentum), this.dampening ? tf.mul(g, 1 - this.dampening) : g));
      g = this.nesterov ? tf.add(g, tf.mul(buf, this.momentum)) : buf;
    }
    variable.assign(tf.sub(variable, tf.mul(g, this.learningRate)));
  }

  protected hyperParameters() {
    return { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }

  protected slotNames(): string[] {
    return ['momentum'];
  }
}
